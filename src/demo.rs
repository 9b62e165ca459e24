//! `upright demo`: the whole bot in the terminal for one member, on the
//! embedded SQLite, with the real engine, store and content.
//!
//! Input lines: `/command args` as on Discord, `react <emoji> [#N]`,
//! `unreact <emoji> [#N]`, `wait <duration>`, `quit`. Between lines the clock
//! runs at `speed` × real time; `wait` jumps it ahead, delivering everything
//! due on the way.

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
use crate::store::{Database, Db, users};

pub struct DemoOptions {
    pub speed: f64,
    pub start: Option<DateTime<Utc>>,
    pub database: Database,
    pub content: Arc<Content>,
    pub settings: Settings,
}

const MEMBER_ID: &str = "you";

fn member() -> Member {
    Member {
        platform: console::PLATFORM.to_string(),
        user_id: MEMBER_ID.to_string(),
        display_name: "You".to_string(),
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

    update_zone(&db, &console).await;
    let soon = (start + Duration::minutes(2)).format("%H:%M");
    console.note(&format!(
        "Upright demo. It is {} UTC here. Try:\n   /subscribe {soon} UTC   then   /agree   then   wait 2m\n   react ✅ (or ⏭️, 🤕) checks in on the latest exercise; /help lists commands; quit ends.",
        start.format("%a %-d %b %H:%M")
    ));

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
            update_zone(self.db, console).await;
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
            console.note("Commands start with `/` (try `/help`); also `react ✅ [#N]`, `unreact ✅ [#N]`, `wait 10m`, `quit`.");
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
    let Some(message_id) = target else {
        console.note("There is no exercise to check in on yet.");
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
    let verb = if added { "reacted" } else { "removed" };
    match outcome {
        ReactionOutcome::Ignored => console.note(&format!(
            "({verb} {emoji} on #{message_id}: nothing to check in there)"
        )),
        _ => console.note(&format!("(you {verb} {emoji} on #{message_id})")),
    }
    engine.run_due().await?;
    Ok(())
}

async fn update_zone(db: &Db, console: &Console) {
    let user = db
        .call(|c| users::find(c, console::PLATFORM, MEMBER_ID))
        .await;
    if let Ok(Some(user)) = user
        && let Some(zone) = user.timezone.and_then(|z| z.parse::<Tz>().ok())
    {
        console.set_zone(zone);
    }
}
