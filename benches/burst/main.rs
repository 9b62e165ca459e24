//! Many members, one minute: the real binary against a platform that behaves
//! like the real one, measured from outside.
//!
//! `cargo bench --bench burst -- [--platform discord|matrix|both] [--members N]
//! [--synapse-db sqlite|postgres] [--bot upright|reference]` (defaults: both,
//! 200, sqlite, upright). Each member subscribes to the same minute and
//! agrees to the disclaimer, spread over about a second; the bench then
//! waits for every member's first session message after that minute and
//! prints one column per platform.
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
mod report;

#[path = "../../tests/discord_fake/mod.rs"]
mod discord_fake;
#[path = "../../tests/synapse/mod.rs"]
mod synapse;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo bench --bench burst -- [--platform discord|matrix|both] [--members N] [--synapse-db sqlite|postgres] [--bot upright|reference]";

struct Args {
    matrix: bool,
    discord: bool,
    members: usize,
    synapse_db: synapse::Storage,
    bot: bot::Program,
}

fn args() -> Result<Args, String> {
    let mut parsed = Args {
        matrix: true,
        discord: true,
        members: 200,
        synapse_db: synapse::Storage::Sqlite,
        bot: bot::Program::Upright,
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
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    if parsed.bot == bot::Program::Reference && parsed.discord {
        return Err("the reference bot speaks Matrix only: add --platform matrix".into());
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
    let mut reports = Vec::new();
    let mut failed = false;
    if args.matrix {
        eprintln!("burst: Matrix, {} members …", args.members);
        match matrix::run(args.members, args.synapse_db, args.bot).await {
            Ok(report) => reports.push(report),
            Err(error) => {
                eprintln!("burst: Matrix failed: {error:#}");
                failed = true;
            }
        }
    }
    if args.discord {
        eprintln!("burst: Discord, {} members …", args.members);
        match discord::run(args.members).await {
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
