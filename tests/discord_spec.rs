//! The OpenAPI checker the fake Discord relies on: it must accept what
//! Discord accepts and reject what it does not, or the Discord tests prove
//! nothing.

#[path = "discord_fake/spec.rs"]
mod spec;

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
