//! `upright demo` driven through a pipe, as a newcomer would type it.

use std::io::Write;
use std::process::{Command, Stdio};

fn run_demo(database: &std::path::Path, script: &str) -> String {
    run_demo_with(database, &[], script)
}

fn run_demo_with(database: &std::path::Path, flags: &[&str], script: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_upright"))
        .args(["demo", "--start", "2027-03-01T05:00:00Z"])
        .args(flags)
        .arg("--database")
        .arg(database)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("DISCORD_TOKEN")
        .env_remove("MATRIX_HOMESERVER")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the demo starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "demo failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn a_scripted_demo_runs_a_whole_session() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("demo.sqlite3");
    let script = "/subscribe 07:00 Europe/Berlin weekdays\n/agree\nwait 1h\nreact ✅\nreact ✅\nreact ✅\nreact ✅\nreact ✅\n/streak\nquit\n";
    let out = run_demo(&database, script);

    // Numbered messages, the session at 07:00 Berlin, five exercises in order.
    assert!(out.contains("#1 · "), "{out}");
    assert!(
        out.contains("Mon 1 Mar 07:00 CET\n**Upper back routine · Monday 1 March**"),
        "{out}"
    );
    let positions: Vec<usize> = ["1/5 ·", "2/5 ·", "3/5 ·", "4/5 ·", "5/5 ·"]
        .iter()
        .map(|title| {
            out.find(title)
                .unwrap_or_else(|| panic!("{title} missing:\n{out}"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "exercises out of order"
    );
    assert!(out.contains("✅ 5 done"), "{out}");
    let streak = out.rfind("**Your streak**").expect("the streak reply");
    assert!(
        out[streak..].contains("Streak: 1 day"),
        "{}",
        &out[streak..]
    );

    let connection = rusqlite::Connection::open(&database).unwrap();
    let done: i64 = connection
        .query_row(
            "SELECT COUNT(*) FROM check_ins WHERE kind = 'done'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(done, 5, "the SQLite file holds five done check-ins");
}

#[test]
fn the_demo_reacts_to_a_numbered_message_and_writes_attachments_next_to_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("demo.sqlite3");
    // #2 is the disclaimer, which reacting ✅ acknowledges.
    let script = "/subscribe 05:10 UTC\nreact ✅ #2\nreact ✅ #999\nwait 10m\nunreact ✅\nreact 🤕\n/privacy export\nwait 2x\nhello\n";
    let out = run_demo(&database, script);
    assert!(out.contains("(you reacted ✅ on #2)"), "{out}");
    assert!(
        out.contains("(reacted ✅ on #999: nothing to check in there)"),
        "a number that names no message: {out}"
    );
    assert!(out.contains("1/5 · Upper back extension"), "{out}");
    assert!(
        out.contains("nothing to check in there"),
        "withdrawing a reaction that was never there: {out}"
    );
    assert!(out.contains("**Stop: Upper back extension**"), "{out}");
    assert!(out.contains("`2x` is not a duration"), "{out}");
    assert!(out.contains("Commands start with `/`"), "{out}");
    let attachment = out
        .lines()
        .find_map(|l| l.strip_prefix("[attachment: "))
        .expect("an attachment path");
    let path = std::path::Path::new(attachment.trim_end_matches(']'));
    assert_eq!(path.parent(), Some(dir.path()));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    assert_eq!(json["check_ins"][0]["kind"], "pain");
}

/// A whole session in German (`--lang de`) and in Spanish (`/language es`
/// first): the answers, the session's opening, exercises and closing, a
/// topic, `status` and a bad input all in the member's language, the
/// exercises from `content/<language>/`, the dates written as there.
#[test]
fn the_demo_runs_a_whole_session_in_german_and_in_spanish() {
    use upright::i18n::Language;
    let content = upright::content::Content::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content"),
    )
    .unwrap();
    let session = "/subscribe 07:00 Europe/Berlin weekdays\n/agree\n/status\n/causes\n/subscribe 25:00\nwait 1h\nreact ✅\nreact ✅\nreact ✅\nreact ✅\nreact ✅\nquit\n";
    for (language, flags, first) in [
        (Language::De, &["--lang", "de"][..], ""),
        (Language::Es, &[][..], "/language es\n"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = run_demo_with(
            &dir.path().join("demo.sqlite3"),
            flags,
            &format!("{first}{session}"),
        );
        let routine = content.routine_in(language, "upper-back").unwrap();
        let opening = format!(
            "{} · {}",
            routine.title,
            upright::i18n::dates::long_date(
                language,
                chrono::NaiveDate::from_ymd_opt(2027, 3, 1).unwrap()
            )
        );
        assert!(
            out.contains(&opening),
            "{language}: no `{opening}` in\n{out}"
        );
        let mut from = 0;
        for exercise in &routine.exercises {
            let at = out[from..].find(&exercise.title).unwrap_or_else(|| {
                panic!(
                    "{language}: {} missing or out of order:\n{out}",
                    exercise.title
                )
            });
            from += at + exercise.title.len();
            assert!(
                out.contains(&exercise.safety),
                "{language}: {}",
                exercise.title
            );
        }
        for id in [
            "session-closing-title",
            "session-closing-done",
            "cmd-next-session",
            "cmd-input-hour",
        ] {
            let words = super::common::opening_words(language, id);
            assert!(
                out.contains(&words),
                "{language}: no `{words}` ({id}) in\n{out}"
            );
        }
        let causes = content.topic_in(language, upright::content::TopicId::Causes);
        assert!(out.contains(&causes.title), "{language}: {}", causes.title);
        for english in [
            "Routine complete",
            "Subscribed",
            "Next session",
            "There is no hour",
        ] {
            assert!(
                !out.contains(english),
                "{language}: English `{english}` in\n{out}"
            );
        }
    }
}
