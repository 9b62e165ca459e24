//! The `upright` command line: reads the configuration once and hands over
//! to the library.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand};

use upright::config::{Config, LogFormat};
use upright::content::{Content, TopicId};
use upright::engine::Settings;
use upright::i18n::Language;
use upright::schedule::{Schedule, Weekdays, parse_days, parse_time, parse_zone};
use upright::store::{Database, Db};

#[derive(Parser)]
#[command(
    name = "upright",
    version,
    about = "A chat bot that coaches people with upper back pain through a daily routine."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Start every configured platform (the default).
    Run,
    /// The whole bot in the terminal for one member, on the embedded SQLite.
    Demo {
        /// How many times faster than real time the clock runs between inputs.
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
        /// The demo's starting instant (RFC 3339); default: now.
        #[arg(long)]
        start: Option<DateTime<Utc>>,
        /// The database to use: a SQLite file (a path, or `sqlite://path`)
        /// or a PostgreSQL URL.
        #[arg(long, default_value = "upright-demo.sqlite3", value_parser = Database::parse)]
        database: Database,
        /// The language the bot writes to you in (`/language` changes it
        /// later); default: the one chosen before, else English.
        #[arg(long, value_parser = language_code())]
        lang: Option<Language>,
    },
    /// Validate the content folder.
    CheckContent {
        /// Default: UPRIGHT_CONTENT_DIR, or `content`.
        dir: Option<PathBuf>,
    },
    /// Print the next session instants of a schedule: local time, then UTC.
    Schedule {
        #[arg(long)]
        time: String,
        #[arg(long)]
        timezone: String,
        #[arg(long, default_value = "daily")]
        days: String,
        /// Start after this instant (RFC 3339); default: now.
        #[arg(long)]
        from: Option<DateTime<Utc>>,
        #[arg(long, default_value_t = 7)]
        count: usize,
    },
    /// Create or upgrade the database, then exit.
    Migrate,
    /// Write a consistent copy of the database (safe while the bot runs).
    /// The database is only read: never created, never migrated.
    Backup { path: PathBuf },
    /// Check the configuration, database, content, Matrix store and each
    /// platform's credentials; one line per check, exit 1 if any fails.
    Doctor,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Cmd::Run);
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) if matches!(command, Cmd::Doctor) => {
            let problems = error.0.join("; ");
            println!("FAIL  configuration {problems} (see .env.example)");
            return ExitCode::FAILURE;
        }
        Err(error) => {
            eprintln!("{error}\nSee .env.example for every variable.");
            return ExitCode::from(2);
        }
    };
    // The demo and the doctor talk on stdout; keep routine log lines out of their way.
    let quiet =
        matches!(command, Cmd::Demo { .. } | Cmd::Doctor) && std::env::var_os("RUST_LOG").is_none();
    init_logging(
        if quiet { "warn" } else { &config.log_filter },
        config.log_format,
    );
    let result = match command {
        Cmd::Run => run(&config),
        Cmd::Demo {
            speed,
            start,
            database,
            lang,
        } => demo(&config, speed, start, database, lang),
        Cmd::CheckContent { dir } => {
            return check_content(&dir.unwrap_or_else(|| config.content_dir.clone()));
        }
        Cmd::Schedule {
            time,
            timezone,
            days,
            from,
            count,
        } => print_schedule(&time, &timezone, &days, from, count),
        Cmd::Migrate => Db::connect(&config.database)
            .and_then(|db| db.schema_version())
            .map(|version| println!("{} is at migration {version}", config.database))
            .map_err(Into::into),
        Cmd::Doctor => return doctor(&config),
        Cmd::Backup { path } => Db::open_existing(&config.database)
            .and_then(|db| db.backup(&path))
            .map(|()| println!("backed up {} to {}", config.database, path.display()))
            .map_err(Into::into),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(filter: &str, format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
        // One JSON object per line, fields flattened, for a log shipper.
        LogFormat::Json => logs.json().flatten_event(true).init(),
    }
}

fn load_content(config: &Config) -> anyhow::Result<Arc<Content>> {
    Ok(Arc::new(Content::load(&config.content_dir)?))
}

fn run(config: &Config) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(upright::app::run(
        config.clone(),
        upright::app::shutdown_signal(),
    ))
}

/// A language by its code (`en`, `de`, `es`); clap lists them when another
/// is given.
fn language_code() -> impl TypedValueParser<Value = Language> {
    PossibleValuesParser::new(Language::ALL.map(Language::code))
        .map(|code| Language::from_tag(&code).unwrap_or_default())
}

fn demo(
    config: &Config,
    speed: f64,
    start: Option<DateTime<Utc>>,
    database: Database,
    language: Option<Language>,
) -> anyhow::Result<()> {
    if !(speed.is_finite() && speed > 0.0) {
        anyhow::bail!("--speed must be a positive number, like 1 or 60");
    }
    let options = upright::demo::DemoOptions {
        speed,
        start,
        database,
        content: load_content(config)?,
        settings: Settings::from(config),
        language,
    };
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(upright::demo::run(
        options,
        tokio::io::BufReader::new(tokio::io::stdin()),
        Box::new(std::io::stdout()),
    ))
}

fn doctor(config: &Config) -> ExitCode {
    let findings = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime.block_on(upright::doctor::examine(config)),
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    for finding in &findings {
        println!("{}", finding.line());
    }
    if findings.iter().all(|f| f.verdict.is_ok()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn check_content(dir: &std::path::Path) -> ExitCode {
    match Content::load(dir) {
        Ok(content) => {
            let routines: Vec<_> = content.routines().collect();
            let exercises: usize = routines.iter().map(|r| r.exercises.len()).sum();
            println!(
                "{}: {} routine(s), {} exercises, {} topics: ok",
                dir.display(),
                routines.len(),
                exercises,
                TopicId::ALL.len()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprint!("{error}");
            ExitCode::FAILURE
        }
    }
}

fn print_schedule(
    time: &str,
    timezone: &str,
    days: &str,
    from: Option<DateTime<Utc>>,
    count: usize,
) -> anyhow::Result<()> {
    let schedule = Schedule::new(
        parse_time(time)?,
        if days.is_empty() {
            Weekdays::DAILY
        } else {
            parse_days(days)?
        },
        parse_zone(timezone)?,
    );
    let from = from.unwrap_or_else(Utc::now);
    for occurrence in schedule.occurrences_after(from).take(count) {
        println!(
            "{} {}",
            schedule.local(occurrence.at).to_rfc3339(),
            occurrence
                .at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
    }
    Ok(())
}
