//! The OpenAPI checker the fake Discord relies on: it must accept what
//! Discord accepts and reject what it does not, or the Discord tests prove
//! nothing.

use crate::discord_fake::spec;

use serde_json::json;
use spec::{Body, Spec};

#[test]
fn paths_resolve_to_their_templates() {
    let spec = Spec::load();
    assert_eq!(
        spec.operation("POST", "/channels/123/messages").as_deref(),
        Some("/channels/{channel_id}/messages")
    );
    assert_eq!(
        spec.operation("POST", "/users/@me/channels").as_deref(),
        Some("/users/@me/channels")
    );
    assert_eq!(
        spec.operation("PUT", "/channels/1/messages/2/reactions/%E2%9C%85/@me")
            .as_deref(),
        Some("/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me")
    );
    assert_eq!(spec.operation("GET", "/no/such/route"), None);
}

#[test]
fn message_bodies_are_checked_against_the_spec() {
    let spec = Spec::load();
    let path = "/channels/123/messages";
    let good = json!({
        "content": "hello",
        "nonce": "upright-1",
        "enforce_nonce": true,
        "embeds": [{ "title": "1/5 · Bridge", "description": "Lie on your back.", "footer": { "text": "react" } }]
    });
    assert_eq!(
        spec.violations("POST", path, Body::Request, &good),
        Vec::<String>::new()
    );
    let bad = json!({ "content": 42, "enforce_nonce": "yes" });
    let problems = spec.violations("POST", path, Body::Request, &bad);
    assert!(problems.len() >= 2, "{problems:?}");

    let message = json!({
        "id": "1", "channel_id": "123", "type": 0, "content": "hello", "timestamp": "2027-05-03T07:00:00.000000+00:00",
        "edited_timestamp": null, "tts": false, "mention_everyone": false, "mentions": [], "mention_roles": [],
        "attachments": [], "embeds": [], "pinned": false, "flags": 0, "components": [],
        "author": { "id": "10", "username": "upright", "discriminator": "0", "avatar": null, "public_flags": 0, "flags": 0, "global_name": null, "bot": true, "primary_guild": null }
    });
    let problems = spec.violations("POST", path, Body::Response(200), &message);
    assert_eq!(problems, Vec::<String>::new());
    let mut broken = message.clone();
    broken["id"] = json!(1);
    assert!(
        !spec
            .violations("POST", path, Body::Response(200), &broken)
            .is_empty(),
        "an integer id is not a snowflake"
    );
}

#[test]
fn only_the_documented_errata_are_forgiven() {
    let spec = Spec::load();
    let commands = json!([{
        "name": "group", "description": "Accountability group (admins)", "type": 1,
        "default_member_permissions": "32", "options": []
    }]);
    assert_eq!(
        spec.violations("PUT", "/applications/1/commands", Body::Request, &commands),
        Vec::<String>::new()
    );
    let wrong = json!([{ "name": "group", "description": "x", "type": 1, "default_member_permissions": "everyone" }]);
    assert!(
        !spec
            .violations("PUT", "/applications/1/commands", Body::Request, &wrong)
            .is_empty()
    );
    assert!(
        !spec
            .violations("GET", "/no/such/route", Body::Response(200), &json!({}))
            .is_empty()
    );
}

#[test]
fn rate_limit_answers_are_checked_too() {
    let spec = Spec::load();
    let path = "/channels/123/messages";
    let limited = json!({ "message": "You are being rate limited.", "retry_after": 0.25, "global": false, "code": 0 });
    assert_eq!(
        spec.violations("POST", path, Body::Response(429), &limited),
        Vec::<String>::new()
    );
    let no_wait = json!({ "message": "You are being rate limited.", "global": true, "code": 0 });
    assert!(
        !spec
            .violations("POST", path, Body::Response(429), &no_wait)
            .is_empty(),
        "retry_after is required"
    );
    // Any other 4xx answer is an error object.
    assert_eq!(
        spec.violations(
            "POST",
            path,
            Body::Response(403),
            &json!({ "message": "Cannot send messages to this user", "code": 50007 })
        ),
        Vec::<String>::new()
    );
    assert!(
        !spec
            .violations("POST", path, Body::Response(403), &json!({ "oops": true }))
            .is_empty()
    );

    let headers = |remaining: &str, reset: &str| {
        vec![
            ("X-RateLimit-Limit", "5".to_string()),
            ("x-ratelimit-remaining", remaining.to_string()),
            ("x-ratelimit-reset", reset.to_string()),
            ("x-ratelimit-reset-after", "0.250".to_string()),
            ("x-ratelimit-bucket", "abcd1234".to_string()),
            ("x-ratelimit-scope", "user".to_string()),
            ("retry-after", "1".to_string()),
        ]
    };
    for status in [200, 429] {
        assert_eq!(
            spec.header_violations("POST", path, status, &headers("0", "1470173023.123")),
            Vec::<String>::new()
        );
    }
    let problems = spec.header_violations("POST", path, 200, &headers("0.5", "soon"));
    assert_eq!(problems.len(), 2, "{problems:?}");
}
