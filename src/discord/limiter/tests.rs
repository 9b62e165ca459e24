//! The limiter's unit tests: headers read as Discord documents them, and
//! admissions under the global and per-bucket limits, on made-up instants.

use super::*;

#[test]
fn waits_round_up_to_whole_seconds() {
    assert_eq!(wait_for(2.5), TimeDelta::seconds(3));
    assert_eq!(wait_for(1.0), TimeDelta::seconds(1));
    assert_eq!(wait_for(0.01), TimeDelta::seconds(1));
    assert_eq!(wait_for(-3.0), TimeDelta::seconds(1));
}

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        if let Ok(value) = value.parse() {
            map.insert(*name, value);
        }
    }
    map
}

fn bucket(limit: u32, remaining: u32, reset_after: &str, id: Option<&str>) -> RateHeaders {
    RateHeaders {
        limit: Some(limit),
        remaining: Some(remaining),
        reset_after: reset_after.parse().ok().map(Duration::from_secs_f64),
        bucket: id.map(str::to_string),
        ..RateHeaders::default()
    }
}

fn channel(id: u64) -> RouteKey {
    RouteKey::messages(serenity::ChannelId::new(id))
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn admitted(admit: Admit) -> bool {
    matches!(admit, Admit::At(_) | Admit::Probe(_))
}

#[test]
fn rate_limit_headers_are_read_as_discord_documents_them() {
    let parsed = RateHeaders::parse(&headers(&[
        ("X-RateLimit-Limit", "5"),
        ("X-RateLimit-Remaining", "0"),
        ("X-RateLimit-Reset", "1470173023.123"),
        ("X-RateLimit-Reset-After", "64.57"),
        ("X-RateLimit-Bucket", "abcd1234"),
        ("X-RateLimit-Global", "true"),
        ("Retry-After", "65"),
    ]));
    assert_eq!(
        parsed,
        RateHeaders {
            limit: Some(5),
            remaining: Some(0),
            reset_after: Some(ms(64_570)),
            bucket: Some("abcd1234".into()),
            global: true,
            retry_after: Some(65.0),
        }
    );
    // Absent or garbled headers are simply unknown.
    let garbled = RateHeaders::parse(&headers(&[
        ("x-ratelimit-limit", "many"),
        ("x-ratelimit-reset-after", "-1"),
        ("retry-after", "NaN"),
    ]));
    assert_eq!(garbled, RateHeaders::default());
}

#[test]
fn requests_are_spaced_to_stay_under_the_global_limit() {
    let limiter = Limiter::new(50);
    let now = Instant::now();
    let deadline = now + MAX_WAIT;
    let slots: Vec<Admit> = (0..51)
        .map(|n| limiter.admit(&channel(n + 1), now, deadline))
        .collect();
    assert_eq!(slots[0], Admit::Probe(now));
    assert_eq!(slots[1], Admit::Probe(now + ms(20)));
    // The 51st leaves a full second after the first: never 51 in a second.
    assert_eq!(slots[50], Admit::Probe(now + ms(1000)));
    // Time passing frees the slots again.
    let later = now + Duration::from_secs(5);
    assert_eq!(
        limiter.admit(&channel(100), later, later + MAX_WAIT),
        Admit::Probe(later)
    );
}

#[test]
fn waiting_is_bounded() {
    let limiter = Limiter::new(1);
    let now = Instant::now();
    let deadline = now + Duration::from_secs(2);
    assert_eq!(limiter.admit(&channel(1), now, deadline), Admit::Probe(now));
    assert_eq!(
        limiter.admit(&channel(2), now, deadline),
        Admit::Probe(now + Duration::from_secs(1))
    );
    assert_eq!(
        limiter.admit(&channel(3), now, deadline),
        Admit::Probe(now + Duration::from_secs(2))
    );
    // The next slot would be 3 s away, past the deadline: no slot is taken.
    assert_eq!(
        limiter.admit(&channel(4), now, deadline),
        Admit::TooLong(Duration::from_secs(3))
    );
    assert_eq!(
        limiter.admit(&channel(4), now, now + Duration::from_secs(3)),
        Admit::Probe(now + Duration::from_secs(3))
    );
}

#[test]
fn the_first_request_on_a_bucket_goes_alone() {
    let limiter = Limiter::new(1000);
    let now = Instant::now();
    let deadline = now + MAX_WAIT;
    let dm = RouteKey::open_dm();
    assert_eq!(limiter.admit(&dm, now, deadline), Admit::Probe(now));
    // Until its answer, the others on that bucket wait; other buckets do not.
    assert_eq!(
        limiter.admit(&dm, now, deadline),
        Admit::Recheck(now + UNKNOWN_RESET_POLL)
    );
    assert!(admitted(limiter.admit(&channel(1), now, deadline)));
    limiter.learn(&dm, &bucket(10, 9, "1", Some("dms")), now + ms(80));
    for n in 0..9 {
        assert!(
            matches!(limiter.admit(&dm, now + ms(80), deadline), Admit::At(_)),
            "request {n}"
        );
    }
    assert_eq!(
        limiter.admit(&dm, now + ms(80), deadline),
        Admit::Recheck(now + ms(1080))
    );
    // An answer without a bucket: only the global limit applies there.
    let plain = channel(2);
    assert!(admitted(limiter.admit(&plain, now, deadline)));
    limiter.learn(&plain, &RateHeaders::default(), now);
    for _ in 0..20 {
        assert!(matches!(limiter.admit(&plain, now, deadline), Admit::At(_)));
    }
}

#[test]
fn a_probe_without_an_answer_lets_the_next_one_try() {
    let limiter = Limiter::new(1000);
    let now = Instant::now();
    let deadline = now + MAX_WAIT;
    let dm = RouteKey::open_dm();
    assert!(matches!(limiter.admit(&dm, now, deadline), Admit::Probe(_)));
    let permit = Permit {
        limiter: &limiter,
        probe: Some(limiter.state().bucket_key(&dm)),
    };
    assert!(matches!(
        limiter.admit(&dm, now, deadline),
        Admit::Recheck(_)
    ));
    drop(permit);
    assert!(matches!(limiter.admit(&dm, now, deadline), Admit::Probe(_)));
}

#[test]
fn an_empty_bucket_holds_its_route_until_the_reset() {
    let limiter = Limiter::new(1000);
    let route = channel(7);
    let now = Instant::now();
    let deadline = now + MAX_WAIT;
    assert_eq!(limiter.admit(&route, now, deadline), Admit::Probe(now));
    // The answer, 80 ms later: that was the last of 5 for 5 s.
    let answered = now + ms(80);
    limiter.learn(&route, &bucket(5, 0, "4.9", Some("messages")), answered);
    let reset = answered + ms(4900);
    assert_eq!(
        limiter.admit(&route, answered, deadline),
        Admit::Recheck(reset)
    );
    // Another channel is another bucket; the global slot is free.
    assert!(admitted(limiter.admit(&channel(8), answered, deadline)));
    // At the reset the bucket is full again (5), its end unknown.
    for n in 0..5 {
        assert!(
            matches!(limiter.admit(&route, reset, deadline), Admit::At(_)),
            "request {n} after the reset"
        );
    }
    assert_eq!(
        limiter.admit(&route, reset, deadline),
        Admit::Recheck(reset + UNKNOWN_RESET_POLL)
    );
    // An answer names the new window's end.
    let answered = reset + ms(80);
    limiter.learn(&route, &bucket(5, 4, "5", Some("messages")), answered);
    // Five are already out: the stricter local count stays.
    assert_eq!(
        limiter.admit(&route, answered, deadline),
        Admit::Recheck(answered + Duration::from_secs(5))
    );
    // A reset beyond the deadline is not waited for.
    assert_eq!(
        limiter.admit(&route, answered, answered + Duration::from_secs(1)),
        Admit::TooLong(Duration::from_secs(5))
    );
}

#[test]
fn routes_sharing_a_bucket_id_share_its_count() {
    let limiter = Limiter::new(1000);
    let put = RouteKey::reactions(serenity::ChannelId::new(9));
    let other = RouteKey::new(
        "DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
        "9".into(),
    );
    let now = Instant::now();
    let deadline = now + MAX_WAIT;
    let empty = bucket(1, 0, "0.25", Some("reactions"));
    assert!(admitted(limiter.admit(&put, now, deadline)));
    limiter.learn(&put, &empty, now);
    // The other route has not been answered yet, so it cannot know.
    assert!(admitted(limiter.admit(&other, now, deadline)));
    limiter.learn(&other, &empty, now);
    assert_eq!(
        limiter.admit(&other, now, deadline),
        Admit::Recheck(now + ms(250))
    );
    assert_eq!(
        limiter.admit(&put, now, deadline),
        Admit::Recheck(now + ms(250))
    );
}

#[test]
fn answers_out_of_order_keep_the_lowest_count_of_a_window() {
    let limiter = Limiter::new(1000);
    let route = channel(3);
    let now = Instant::now();
    let deadline = now + MAX_WAIT;
    limiter.learn(&route, &bucket(5, 1, "5", None), now);
    limiter.learn(&route, &bucket(5, 3, "4.95", None), now + ms(10));
    assert!(matches!(
        limiter.admit(&route, now + ms(20), deadline),
        Admit::At(_)
    ));
    assert_eq!(
        limiter.admit(&route, now + ms(20), deadline),
        Admit::Recheck(now + Duration::from_secs(5))
    );
    // After the window, a new one replaces it.
    let later = now + Duration::from_secs(6);
    limiter.learn(&route, &bucket(5, 4, "5", None), later);
    for _ in 0..4 {
        assert!(matches!(
            limiter.admit(&route, later, deadline),
            Admit::At(_)
        ));
    }
    assert!(matches!(
        limiter.admit(&route, later, deadline),
        Admit::Recheck(_)
    ));
}

#[test]
fn a_429_blocks_its_bucket_or_everything() {
    let limiter = Limiter::new(1000);
    let now = Instant::now();
    let deadline = now + MAX_WAIT;
    limiter.block(&channel(1), now + ms(700));
    assert_eq!(
        limiter.admit(&channel(1), now, deadline),
        Admit::Recheck(now + ms(700))
    );
    assert_eq!(limiter.admit(&channel(2), now, deadline), Admit::Probe(now));
    limiter.pause_all(now + ms(900));
    assert_eq!(
        limiter.admit(&channel(3), now, deadline),
        Admit::Probe(now + ms(900))
    );
    // After the block the bucket is usable again.
    assert!(matches!(
        limiter.admit(&channel(1), now + ms(700), deadline),
        Admit::At(_)
    ));
}

#[test]
fn follow_ups_take_no_global_slot_and_ignore_a_global_pause() {
    // One request per second globally: a second channel message must wait.
    let limiter = Limiter::new(1);
    let now = Instant::now();
    let deadline = now + MAX_WAIT;
    let post = RouteKey::messages(serenity::ChannelId::new(9));
    assert!(admitted(limiter.admit(&post, now, deadline)));
    let again = RouteKey::messages(serenity::ChannelId::new(10));
    assert_eq!(
        limiter.admit(&again, now, deadline),
        Admit::Probe(now + ms(1000))
    );
    // A follow-up goes at once, however many there are.
    for token in ["a", "b", "c"] {
        assert_eq!(
            limiter.admit(&RouteKey::follow_up(token), now, deadline),
            Admit::Probe(now)
        );
    }
    // A global 429 holds channel messages, not follow-ups.
    limiter.pause_all(now + Duration::from_secs(30));
    let third = RouteKey::messages(serenity::ChannelId::new(11));
    assert_eq!(
        limiter.admit(&third, now, deadline),
        Admit::Probe(now + Duration::from_secs(30))
    );
    assert_eq!(
        limiter.admit(&RouteKey::follow_up("d"), now, deadline),
        Admit::Probe(now)
    );
}
