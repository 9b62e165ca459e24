//! Many members, one minute: the real binary against a platform that behaves
//! like the real one, measured from outside.
//!
//! `cargo bench --bench burst -- [--platform discord|matrix|both] [--members N]
//! [--database sqlite|postgres] [--replicas N] [--synapse-db sqlite|postgres]
//! [--bot upright|reference] [--press]` (defaults: both, 200, sqlite, 1,
//! sqlite, upright). With `--press` (Discord) every member then checks in
//! with the ✅ button on each exercise through the day (presses.rs). Each
//! member subscribes to the same minute and agrees to the
//! disclaimer, spread over about a second; the bench then waits for every
//! member's first session message after that minute and prints one column
//! per platform.
//!
//! `--database` is the bot's own: a SQLite file, or a throwaway PostgreSQL
//! server the bench starts (tests/postgres), a fresh database on it per
//! platform. `--replicas N` (PostgreSQL only) starts N `upright run`
//! processes on that database, each in its own folder with its own Matrix
//! store: the first takes the platform's lease before the others start
//! (they stand by, as replicas do), and the others restore the bot's
//! Matrix identity with the first one's recovery key.
//!
//! - Discord: the fake Discord of the tests (`tests/discord_fake`), with
//!   80 ms of latency on every answer and Discord's global and per-route
//!   rate limits enforced (see benches/burst/discord.rs).
//! - Matrix: a real Synapse started as the tests start it, members as plain
//!   clients opening DMs with the bot (see benches/burst/matrix.rs).
//!   `--bot reference` runs `reference_bot.py` there instead of the binary:
//!   the least a bot can do in that flow, so the homeserver's own limit
//!   shows beside the bot's figures.
//!
//! Nothing listens beyond 127.0.0.1; every wait is bounded; the bot is
//! killed at the end.

mod bot;
mod discord;
mod matrix;
mod presses;
mod report;

#[path = "../../tests/discord_fake/mod.rs"]
mod discord_fake;
#[path = "../../tests/synapse/mod.rs"]
mod synapse;

use std::path::Path;
use std::process::ExitCode;

use upright::store::Database;

const USAGE: &str = "usage: cargo bench --bench burst -- [--platform discord|matrix|both] [--members N] [--database sqlite|postgres] [--replicas N] [--synapse-db sqlite|postgres] [--bot upright|reference] [--press]";

struct Args {
    matrix: bool,
    discord: bool,
    members: usize,
    postgres: bool,
    replicas: usize,
    synapse_db: synapse::Storage,
    bot: bot::Program,
    /// Discord: members check in with the buttons through the whole day.
    press: bool,
}

/// Where the bot keeps its memory, and how many processes share it.
pub struct Deployment {
    /// The throwaway server when the bot runs on PostgreSQL.
    pub postgres: Option<synapse::Postgres>,
    pub replicas: usize,
    /// Both platforms run, one after the other (their logs are kept apart).
    pub both: bool,
}

impl Deployment {
    /// The bot's database for `platform`'s run: a SQLite file in `dir`, or
    /// a new database on the server.
    pub fn database(&self, platform: &str, dir: &Path) -> Database {
        match &self.postgres {
            None => Database::Sqlite(dir.join("burst.sqlite3")),
            Some(server) => {
                let name = format!("burst_{platform}");
                server.psql(&format!("CREATE DATABASE {name}"));
                Database::Postgres(server.url_of(&name))
            }
        }
    }

    /// The engine's name for the report.
    pub fn engine(&self) -> &'static str {
        match self.postgres {
            None => "SQLite",
            Some(_) => "PostgreSQL",
        }
    }

    /// Where `UPRIGHT_BURST_BOT_LOG` goes for `platform`.
    pub fn log_name(&self, platform: &'static str) -> Option<&'static str> {
        self.both.then_some(platform)
    }
}

/// `UPRIGHT_DATABASE` for `database` (a path, or the URL: it has no password).
pub fn database_setting(database: &Database) -> String {
    match database {
        Database::Sqlite(path) => path.display().to_string(),
        Database::Postgres(url) => url.clone(),
    }
}

fn args() -> Result<Args, String> {
    let mut parsed = Args {
        matrix: true,
        discord: true,
        members: 200,
        postgres: false,
        replicas: 1,
        synapse_db: synapse::Storage::Sqlite,
        bot: bot::Program::Upright,
        press: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            // cargo bench passes this to every bench target.
            "--bench" => {}
            "--platform" => match args.next().as_deref() {
                Some("discord") => (parsed.matrix, parsed.discord) = (false, true),
                Some("matrix") => (parsed.matrix, parsed.discord) = (true, false),
                Some("both") => (parsed.matrix, parsed.discord) = (true, true),
                other => return Err(format!("--platform {other:?}: discord, matrix or both")),
            },
            "--members" => {
                parsed.members = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n| (1..=10_000).contains(n))
                    .ok_or("--members takes a number from 1 to 10000")?;
            }
            "--database" => match args.next().as_deref() {
                Some("sqlite") => parsed.postgres = false,
                Some("postgres") => parsed.postgres = true,
                other => return Err(format!("--database {other:?}: sqlite or postgres")),
            },
            "--replicas" => {
                parsed.replicas = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n| (1..=16).contains(n))
                    .ok_or("--replicas takes a number from 1 to 16")?;
            }
            "--synapse-db" => match args.next().as_deref() {
                Some("sqlite") => parsed.synapse_db = synapse::Storage::Sqlite,
                Some("postgres") => parsed.synapse_db = synapse::Storage::Postgres,
                other => return Err(format!("--synapse-db {other:?}: sqlite or postgres")),
            },
            "--bot" => match args.next().as_deref() {
                Some("upright") => parsed.bot = bot::Program::Upright,
                Some("reference") => parsed.bot = bot::Program::Reference,
                other => return Err(format!("--bot {other:?}: upright or reference")),
            },
            "--press" => parsed.press = true,
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    if parsed.bot == bot::Program::Reference && parsed.discord {
        return Err("the reference bot speaks Matrix only: add --platform matrix".into());
    }
    if parsed.press && parsed.matrix {
        return Err("--press is Discord's buttons: add --platform discord".into());
    }
    if parsed.replicas > 1 && !parsed.postgres {
        return Err(format!(
            "--replicas {} needs --database postgres: replicas share one PostgreSQL database \
             (a SQLite file belongs to one process)",
            parsed.replicas
        ));
    }
    if parsed.bot == bot::Program::Reference && (parsed.postgres || parsed.replicas > 1) {
        return Err(
            "the reference bot keeps a SQLite file of its own: it takes neither --database postgres nor --replicas"
                .into(),
        );
    }
    Ok(parsed)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let postgres = if args.postgres {
        eprintln!("burst: starting a throwaway PostgreSQL for the bot …");
        match tokio::task::spawn_blocking(synapse::Postgres::start).await {
            Ok(server) => Some(server),
            Err(error) => {
                eprintln!("burst: PostgreSQL did not start: {error}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        None
    };
    let deployment = Deployment {
        postgres,
        replicas: args.replicas,
        both: args.matrix && args.discord,
    };
    let mut reports = Vec::new();
    let mut failed = false;
    if args.matrix {
        eprintln!(
            "burst: Matrix, {} members, {} × {} …",
            args.members,
            deployment.replicas,
            deployment.engine()
        );
        match matrix::run(args.members, args.synapse_db, args.bot, &deployment).await {
            Ok(report) => reports.push(report),
            Err(error) => {
                eprintln!("burst: Matrix failed: {error:#}");
                failed = true;
            }
        }
    }
    if args.discord {
        eprintln!(
            "burst: Discord, {} members, {} × {} …",
            args.members,
            deployment.replicas,
            deployment.engine()
        );
        match discord::run(args.members, &deployment, args.press).await {
            Ok(report) => reports.push(report),
            Err(error) => {
                eprintln!("burst: Discord failed: {error:#}");
                failed = true;
            }
        }
    }
    if !reports.is_empty() {
        report::print_table(&reports);
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
