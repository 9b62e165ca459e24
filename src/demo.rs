//! `upright demo`: the whole bot in the terminal for one member, on the
//! embedded SQLite, with the real engine, store and content.
//!
//! Input lines: `/command args` as on Discord, `react <emoji> [#N]`,
//! `unreact <emoji> [#N]`, `wait <duration>`, `quit`. Between lines the clock
//! runs at `speed` × real time; `wait` jumps it ahead, delivering everything
//! due on the way. The terminal speaks the member's language, which
//! `--lang` (or `/language`) chooses.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use crate::clock::{Clock, ManualClock};
use crate::commands::{self, Member, Place};
use crate::console::{self, Console};
use crate::content::Content;
use crate::duration::parse_duration;
use crate::engine::{Engine, ReactionEvent, ReactionOutcome, Settings};
use crate::i18n::{Language, dates};
use crate::store::{Database, Db, users};
use crate::tr;

pub struct DemoOptions {
    pub speed: f64,
    pub start: Option<DateTime<Utc>>,
    pub database: Database,
    pub content: Arc<Content>,
    pub settings: Settings,
    /// The language the member chooses before the first line; `None`
    /// keeps theirs (English for a new member).
    pub language: Option<Language>,
}

const MEMBER_ID: &str = "you";
const MEMBER_NAME: &str = "You";

fn member() -> Member {
    Member {
        platform: console::PLATFORM.to_string(),
        user_id: MEMBER_ID.to_string(),
        display_name: MEMBER_NAME.to_string(),
        dm: None,
        profile_zone: None,
        locale: None,
        server_locale: None,
    }
}

/// Virtual time: runs at `speed` × real time from an anchor that `wait` moves.
struct DemoTime {
    clock: ManualClock,
    speed: f64,
    anchor_virtual: DateTime<Utc>,
    anchor_real: Instant,
}

impl DemoTime {
    fn current(&self) -> DateTime<Utc> {
        let real = self.anchor_real.elapsed().as_secs_f64() * self.speed;
        let elapsed = Duration::milliseconds((real * 1000.0).min(1e15) as i64);
        self.anchor_virtual + elapsed
    }

    fn reanchor(&mut self) {
        self.anchor_virtual = self.clock.now();
        self.anchor_real = Instant::now();
    }

    /// Real time until the virtual clock reaches `at`.
    fn real_until(&self, at: DateTime<Utc>) -> std::time::Duration {
        let virtual_wait = (at - self.current()).to_std().unwrap_or_default();
        virtual_wait.div_f64(self.speed.max(1e-6))
    }
}

pub async fn run(
    options: DemoOptions,
    input: impl AsyncBufRead + Unpin,
    output: Box<dyn std::io::Write + Send>,
) -> anyhow::Result<()> {
    let start = options.start.unwrap_or_else(Utc::now);
    let clock = ManualClock::new(start);
    let db = Db::connect(&options.database)?;
    let engine = Engine::new(
        db.clone(),
        options.content,
        Arc::new(clock.clone()),
        options.settings,
    );
    let console = Console::new(output, Arc::new(clock.clone()));
    engine.add_platform(console::PLATFORM, Arc::new(console.clone()));
    // Pictures go beside a SQLite file, or into the working folder.
    let attachment_dir = match &options.database {
        Database::Sqlite(path) => path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), PathBuf::from),
        Database::Postgres(_) => PathBuf::from("."),
    };
    let mut time = DemoTime {
        clock,
        speed: options.speed,
        anchor_virtual: start,
        anchor_real: Instant::now(),
    };

    if let Some(language) = options.language {
        choose_language(&db, language, start).await?;
    }
    follow_member(&db, &console).await;
    introduce(&console, start);

    let mut lines = input.lines();
    loop {
        let now = time.current().max(time.clock.now());
        engine.run_until(&time.clock, now).await?;
        let sleep = match engine.next_due().await? {
            Some(at) => time.real_until(at).min(std::time::Duration::from_secs(1)),
            None => std::time::Duration::from_secs(1),
        };
        let line = tokio::select! {
            line = lines.next_line() => line?,
            () = tokio::time::sleep(sleep) => continue,
        };
        let Some(line) = line else {
            break; // End of input.
        };
        let now = time.current().max(time.clock.now());
        engine.run_until(&time.clock, now).await?;
        let line = line.trim();
        if matches!(line, "quit" | "exit") {
            break;
        }
        let input = Input {
            engine: &engine,
            console: &console,
            db: &db,
            attachment_dir: &attachment_dir,
        };
        input.handle(line, &mut time).await?;
        engine.run_due().await?;
    }
    Ok(())
}

/// What a line typed in the demo acts on.
struct Input<'a> {
    engine: &'a Engine,
    console: &'a Console,
    db: &'a Db,
    attachment_dir: &'a Path,
}

impl Input<'_> {
    /// Acts on one line: a `/command`, `react`, `unreact` or `wait`.
    async fn handle(&self, line: &str, time: &mut DemoTime) -> anyhow::Result<()> {
        let (engine, console) = (self.engine, self.console);
        if line.is_empty() {
            return Ok(());
        }
        if let Some(text) = line.strip_prefix('/') {
            let reply = commands::handle_text(engine, &member(), &Place::Direct, text).await;
            follow_member(self.db, console).await;
            console.print_reply(&reply, self.attachment_dir);
        } else if let Some(rest) = line.strip_prefix("unreact ") {
            react(engine, console, rest, false).await?;
        } else if let Some(rest) = line.strip_prefix("react ") {
            react(engine, console, rest, true).await?;
        } else if let Some(rest) = line.strip_prefix("wait ") {
            match parse_duration(rest) {
                Ok(duration) => {
                    let target = time.clock.now() + duration;
                    engine.run_until(&time.clock, target).await?;
                    time.reanchor();
                }
                Err(problem) => console.note(&problem),
            }
        } else {
            console.note(&tr!(console.language(), "demo-unknown-input"));
        }
        Ok(())
    }
}

async fn react(engine: &Engine, console: &Console, rest: &str, added: bool) -> anyhow::Result<()> {
    let mut parts = rest.split_whitespace();
    let emoji = parts.next().unwrap_or_default().to_string();
    let target = parts
        .next()
        .map(|n| n.trim_start_matches('#').to_string())
        .or_else(|| console.latest_reactable());
    let lang = console.language();
    let Some(message_id) = target else {
        console.note(&tr!(lang, "demo-nothing-to-react-to"));
        return Ok(());
    };
    let outcome = engine
        .on_reaction(ReactionEvent {
            platform: console::PLATFORM.to_string(),
            message_id: message_id.clone(),
            user_id: MEMBER_ID.to_string(),
            display_name: None,
            emoji: emoji.clone(),
            added,
            reaction_id: None,
            room: None,
        })
        .await?;
    let (emoji, number) = (emoji.as_str(), message_id.as_str());
    let said = match (outcome, added) {
        // The demo records each message as it shows it: a reaction held for
        // one not recorded names a number that does not exist.
        (ReactionOutcome::Ignored | ReactionOutcome::Held, true) => {
            tr!(lang, "demo-reacted-nothing", emoji = emoji, number = number)
        }
        (ReactionOutcome::Ignored, false) => {
            tr!(
                lang,
                "demo-unreacted-nothing",
                emoji = emoji,
                number = number
            )
        }
        (_, true) => tr!(lang, "demo-reacted", emoji = emoji, number = number),
        (_, false) => tr!(lang, "demo-unreacted", emoji = emoji, number = number),
    };
    console.note(&said);
    engine.run_due().await?;
    Ok(())
}

/// The first lines: the time, and what to try.
fn introduce(console: &Console, start: DateTime<Utc>) {
    let lang = console.language();
    let now = format!(
        "{} {}",
        dates::short_date(lang, start.date_naive()),
        start.format("%H:%M")
    );
    let soon = (start + Duration::minutes(2)).format("%H:%M").to_string();
    console.note(&format!(
        "{}\n   {}\n   {}",
        tr!(lang, "demo-intro", now = now),
        tr!(lang, "demo-intro-start", time = soon),
        tr!(lang, "demo-intro-more"),
    ));
}

/// `--lang`: the member (stored now if new) chooses `language`, as
/// `/language` would.
async fn choose_language(db: &Db, language: Language, now: DateTime<Utc>) -> anyhow::Result<()> {
    db.call(move |c| {
        let user = users::ensure(c, console::PLATFORM, MEMBER_ID, MEMBER_NAME, now)?;
        users::set_language(c, user.id, Some(language))
    })
    .await?;
    Ok(())
}

/// The terminal follows the member: their zone once known, their language.
async fn follow_member(db: &Db, console: &Console) {
    let user = db
        .call(|c| users::find(c, console::PLATFORM, MEMBER_ID))
        .await;
    if let Ok(Some(user)) = user {
        console.set_language(user.language());
        if let Some(zone) = user.timezone.and_then(|z| z.parse::<Tz>().ok()) {
            console.set_zone(zone);
        }
    }
}
