//! Configuration, read once from the environment (and `.env`) into a typed
//! struct and validated before anything starts. Secrets never print.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use chrono::Duration;

use crate::duration::parse_duration;
use crate::store::Database;

/// A value that must never reach a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Clone)]
pub struct DiscordConfig {
    pub token: Secret,
    pub guild_id: Option<u64>,
    pub api_base: Option<String>,
}

/// `MATRIX_STORE_PASSPHRASE=none`: the store stays unencrypted, on purpose.
pub const NO_PASSPHRASE: &str = "none";

/// Whose invites the bot accepts, by the inviter's homeserver
/// (`MATRIX_ALLOWED_SERVERS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedServers {
    /// Unset: the bot's own server, as its login says.
    Own,
    /// `*`: anyone on any server.
    Any,
    /// These server names only.
    Only(Vec<String>),
}

impl AllowedServers {
    /// Whether an invite from `server` is accepted, the bot being on `own`.
    pub fn allows(&self, server: &str, own: &str) -> bool {
        match self {
            AllowedServers::Own => server.eq_ignore_ascii_case(own),
            AllowedServers::Any => true,
            AllowedServers::Only(servers) => servers.iter().any(|s| s.eq_ignore_ascii_case(server)),
        }
    }
}

/// The longest `UPRIGHT_RETENTION`: longer would overflow the clock's
/// arithmetic when the cut-off is computed.
const MAX_RETENTION: Duration = Duration::days(36_500);

/// Rooms the bot stays in at most, unless `MATRIX_ROOM_LIMIT` says otherwise.
pub const DEFAULT_ROOM_LIMIT: usize = 5_000;

#[derive(Debug, Clone)]
pub struct MatrixConfig {
    pub homeserver: String,
    pub user: String,
    pub password: Secret,
    pub store_dir: PathBuf,
    /// `None` only when set to `none` on purpose.
    pub store_passphrase: Option<Secret>,
    /// Whose invites are accepted.
    pub allowed_servers: AllowedServers,
    /// Invites are declined once the bot is in this many rooms.
    pub room_limit: usize,
    /// `MATRIX_RECOVERY_KEY`: restores the bot's identity into a new store.
    pub recovery_key: Option<Secret>,
    /// Whether the bot cross-signs its device. Always on when read from the
    /// environment; off only in the test that shows what Element's members
    /// see of a bot without it.
    pub cross_signing: bool,
}

/// How log lines are written (`UPRIGHT_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for a log shipper.
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database: Database,
    pub content_dir: PathBuf,
    pub pace_minutes: u32,
    pub grace: Duration,
    /// Deliveries in flight per platform; `None`: each platform's own.
    pub send_concurrency: Option<usize>,
    pub log_filter: String,
    pub log_format: LogFormat,
    /// How long sent messages and remembered reactions are kept.
    pub retention: Duration,
    /// Where `/metrics` and `/healthz` are served; `None`: not at all.
    pub metrics_addr: Option<SocketAddr>,
    pub discord: Option<DiscordConfig>,
    pub matrix: Option<MatrixConfig>,
}

/// Everything wrong with the configuration, each with what to do about it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("configuration problems:\n{}", .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
pub struct ConfigError(pub Vec<String>);

impl Config {
    /// Reads `.env` (if present) and the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        // A missing .env is normal; a malformed one is reported. Only the
        // working directory's: one in a parent folder belongs to something else.
        if let Err(e) = dotenvy::from_path(".env")
            && !e.not_found()
        {
            return Err(ConfigError(vec![format!(".env cannot be read: {e}")]));
        }
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Builds the configuration from any key → value lookup (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let env = Reader::new(&lookup);
        let pace_minutes = env.read("UPRIGHT_PACE", parse_pace).unwrap_or(3);
        let grace = env
            .read("UPRIGHT_GRACE", parse_grace)
            .unwrap_or(Duration::hours(2));
        let send_concurrency = env.read("UPRIGHT_SEND_CONCURRENCY", |text| {
            text.parse::<usize>()
                .ok()
                .filter(|n| (1..=64).contains(n))
                .ok_or_else(|| "a whole number from 1 to 64, e.g. `8`".to_string())
        });
        let log_format = env
            .read("UPRIGHT_LOG_FORMAT", parse_log_format)
            .unwrap_or(LogFormat::Text);
        let retention = env
            .read("UPRIGHT_RETENTION", parse_retention)
            .unwrap_or(Duration::days(400));
        let metrics_addr = env.read("UPRIGHT_METRICS_ADDR", |text| {
            text.parse::<SocketAddr>()
                .map_err(|_| format!("`{text}` is not an address and port, e.g. `127.0.0.1:9187`"))
        });
        let database = env
            .read("UPRIGHT_DATABASE", Database::parse)
            .unwrap_or_else(|| Database::Sqlite("upright.sqlite3".into()));
        let discord = DiscordConfig::read(&env);
        let matrix = MatrixConfig::read(&env);
        env.finish()?;
        Ok(Config {
            database,
            content_dir: env
                .get("UPRIGHT_CONTENT_DIR")
                .unwrap_or_else(|| "content".into())
                .into(),
            pace_minutes,
            grace,
            send_concurrency,
            log_filter: env.get("RUST_LOG").unwrap_or_else(|| "info".into()),
            log_format,
            retention,
            metrics_addr,
            discord,
            matrix,
        })
    }
}

/// Reads variables and gathers every problem, so one run names them all.
struct Reader<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    problems: std::cell::RefCell<Vec<String>>,
}

impl<'a> Reader<'a> {
    fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Reader<'a> {
        Reader {
            lookup,
            problems: std::cell::RefCell::default(),
        }
    }

    /// The variable's value, trimmed; an empty one counts as unset.
    fn get(&self, key: &str) -> Option<String> {
        (self.lookup)(key)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// The variable read by `parse`; `None` if unset, or (noting why) if it
    /// does not read.
    fn read<T>(&self, key: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        match parse(&self.get(key)?) {
            Ok(value) => Some(value),
            Err(problem) => {
                self.problem(format!("{key}: {problem}"));
                None
            }
        }
    }

    fn problem(&self, text: impl Into<String>) {
        self.problems.borrow_mut().push(text.into());
    }

    fn finish(&self) -> Result<(), ConfigError> {
        let problems = self.problems.take();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError(problems))
        }
    }
}

impl DiscordConfig {
    fn read(env: &Reader<'_>) -> Option<DiscordConfig> {
        let Some(token) = env.get("DISCORD_TOKEN") else {
            if env.get("DISCORD_GUILD_ID").is_some() {
                env.problem(
                    "DISCORD_GUILD_ID is set but DISCORD_TOKEN is not; set the bot token too",
                );
            }
            return None;
        };
        Some(DiscordConfig {
            token: Secret::new(token),
            guild_id: env.read("DISCORD_GUILD_ID", |id| {
                id.parse().map_err(|_| {
                    format!(
                        "`{id}` is not a server id; copy it with Developer Mode (a number like 123456789012345678)"
                    )
                })
            }),
            api_base: env
                .get("DISCORD_API_BASE")
                .map(|base| base.trim_end_matches('/').to_string()),
        })
    }
}

impl MatrixConfig {
    fn read(env: &Reader<'_>) -> Option<MatrixConfig> {
        let homeserver = env.get("MATRIX_HOMESERVER")?;
        if !(homeserver.starts_with("https://") || homeserver.starts_with("http://")) {
            env.problem(format!(
                "MATRIX_HOMESERVER: `{homeserver}` needs a scheme, e.g. https://matrix.example.org"
            ));
        }
        let user = env.get("MATRIX_USER");
        if user.is_none() {
            env.problem("MATRIX_USER: set the bot account, e.g. @upright:example.org");
        }
        let password = env.get("MATRIX_PASSWORD");
        if password.is_none() {
            env.problem("MATRIX_PASSWORD: set the bot account's password");
        }
        let allowed_servers = match env.get("MATRIX_ALLOWED_SERVERS").as_deref() {
            None => AllowedServers::Own,
            Some("*") => AllowedServers::Any,
            Some(list) => AllowedServers::Only(
                list.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect(),
            ),
        };
        let room_limit = env.read("MATRIX_ROOM_LIMIT", |text| {
            text.parse::<usize>()
                .ok()
                .filter(|n| (1..=1_000_000).contains(n))
                .ok_or_else(|| "a whole number of rooms, e.g. `5000`".to_string())
        });
        Some(MatrixConfig {
            homeserver,
            user: user.unwrap_or_default(),
            password: Secret::new(password.unwrap_or_default()),
            store_dir: env
                .get("MATRIX_STORE_DIR")
                .unwrap_or_else(|| "matrix-store".into())
                .into(),
            store_passphrase: store_passphrase(env),
            allowed_servers,
            room_limit: room_limit.unwrap_or(DEFAULT_ROOM_LIMIT),
            recovery_key: env.get("MATRIX_RECOVERY_KEY").map(Secret::new),
            cross_signing: true,
        })
    }
}

/// The Matrix store's passphrase: required, unless turned off on purpose.
fn store_passphrase(env: &Reader<'_>) -> Option<Secret> {
    match env.get("MATRIX_STORE_PASSPHRASE").as_deref() {
        Some(NO_PASSPHRASE) => None,
        Some(passphrase) => Some(Secret::new(passphrase)),
        None => {
            env.problem(format!(
                "MATRIX_STORE_PASSPHRASE: set a passphrase; it encrypts the Matrix store, which holds the keys to members' DMs. \
                 To keep the store unencrypted on purpose, set it to `{NO_PASSPHRASE}`"
            ));
            None
        }
    }
}

/// How late a session may start: 0 to 7 days.
fn parse_grace(text: &str) -> Result<Duration, String> {
    let grace = parse_duration(text)?;
    if grace >= Duration::zero() && grace <= Duration::days(7) {
        Ok(grace)
    } else {
        Err("keep it between 0m and 7d, e.g. `2h`".to_string())
    }
}

fn parse_log_format(text: &str) -> Result<LogFormat, String> {
    match text {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        other => Err(format!(
            "`{other}` is not a log format; use `text` or `json`"
        )),
    }
}

/// How long records are kept: 30 days to 100 years.
fn parse_retention(text: &str) -> Result<Duration, String> {
    let retention = parse_duration(text)?;
    if retention > MAX_RETENTION {
        Err("at most 100 years (`36500d`); to keep everything, that is long enough".to_string())
    } else if retention < Duration::days(30) {
        Err("keep at least 30 days (`30d`), so a message is never forgotten while it could still be retried".to_string())
    } else {
        Ok(retention)
    }
}

/// Pace in minutes: `3`, `3m`; 1 to 30.
pub fn parse_pace(text: &str) -> Result<u32, String> {
    let minutes = if text.trim().bytes().all(|b| b.is_ascii_digit()) {
        text.trim().parse::<i64>().map_err(|e| e.to_string())?
    } else {
        parse_duration(text)?.num_minutes()
    };
    u32::try_from(minutes)
        .ok()
        .filter(|m| (1..=30).contains(m))
        .ok_or_else(|| {
            format!(
                "the pace must be 1 to 30 minutes between exercises, not `{}`",
                text.trim()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|key| map.get(key).cloned())
    }

    #[test]
    fn defaults() {
        let config = config(&[]).unwrap();
        assert_eq!(
            config.database,
            Database::Sqlite(PathBuf::from("upright.sqlite3"))
        );
        assert_eq!(config.content_dir, PathBuf::from("content"));
        assert_eq!(config.pace_minutes, 3);
        assert_eq!(config.grace, Duration::hours(2));
        assert_eq!(config.send_concurrency, None);
        assert_eq!(config.log_filter, "info");
        assert_eq!(config.log_format, LogFormat::Text);
        assert_eq!(config.metrics_addr, None);
        assert_eq!(config.retention, Duration::days(400));
        assert!(config.discord.is_none() && config.matrix.is_none());
    }

    #[test]
    fn a_database_setting_is_a_sqlite_file_a_postgres_url_or_refused() {
        let database = |text: &str| config(&[("UPRIGHT_DATABASE", text)]).map(|c| c.database);
        assert_eq!(
            database("sqlite:///var/lib/upright/bot.sqlite3").ok(),
            Some(Database::Sqlite("/var/lib/upright/bot.sqlite3".into()))
        );
        assert_eq!(
            database("postgresql://upright:secret@db/upright").ok(),
            Some(Database::Postgres(
                "postgresql://upright:secret@db/upright".into()
            ))
        );
        for (url, said) in [
            ("mysql://db/upright", "`mysql://` is not a database"),
            ("sqlite://", "needs a file"),
        ] {
            let error = database(url).map_err(|e| e.to_string());
            assert!(
                error
                    .as_ref()
                    .is_err_and(|e| e.contains("UPRIGHT_DATABASE") && e.contains(said)),
                "{url}: {error:?}"
            );
        }
    }

    #[test]
    fn a_retention_past_a_hundred_years_is_refused_not_a_panic() {
        for huge in ["99999999d", "36501d"] {
            let error = config(&[("DISCORD_TOKEN", "x"), ("UPRIGHT_RETENTION", huge)])
                .unwrap_err()
                .to_string();
            assert!(error.contains("at most 100 years"), "{huge}: {error}");
        }
        let kept = config(&[("DISCORD_TOKEN", "x"), ("UPRIGHT_RETENTION", "36500d")])
            .map(|config| config.retention);
        assert_eq!(kept.ok(), Some(Duration::days(36_500)));
    }

    #[test]
    fn every_problem_is_reported_with_what_to_do() {
        let error = config(&[
            ("UPRIGHT_PACE", "45m"),
            ("UPRIGHT_GRACE", "soon"),
            ("UPRIGHT_SEND_CONCURRENCY", "0"),
            ("UPRIGHT_LOG_FORMAT", "xml"),
            ("UPRIGHT_METRICS_ADDR", "localhost"),
            ("UPRIGHT_RETENTION", "7d"),
            ("MATRIX_HOMESERVER", "matrix.example.org"),
            ("DISCORD_GUILD_ID", "abc"),
        ])
        .unwrap_err();
        let text = error.to_string();
        for needle in [
            "UPRIGHT_PACE",
            "UPRIGHT_GRACE",
            "UPRIGHT_SEND_CONCURRENCY",
            "UPRIGHT_LOG_FORMAT",
            "UPRIGHT_METRICS_ADDR",
            "UPRIGHT_RETENTION",
            "MATRIX_HOMESERVER",
            "MATRIX_USER",
            "MATRIX_PASSWORD",
            "DISCORD_GUILD_ID",
        ] {
            assert!(text.contains(needle), "{needle} missing from {text}");
        }
    }

    #[test]
    fn secrets_never_show_in_debug() -> Result<(), ConfigError> {
        let config = config(&[
            ("DISCORD_TOKEN", "discord-token-value"),
            ("MATRIX_HOMESERVER", "https://m.example.org"),
            ("MATRIX_USER", "@bot:example.org"),
            ("MATRIX_PASSWORD", "hunter2-password"),
            ("MATRIX_STORE_PASSPHRASE", "store-passphrase"),
        ])?;
        let debug = format!("{config:?}");
        assert!(!debug.contains("discord-token-value"));
        assert!(!debug.contains("hunter2-password"));
        assert!(!debug.contains("store-passphrase"));
        assert!(debug.contains("[redacted]"));
        assert_eq!(
            config.discord.as_ref().map(|d| d.token.expose()),
            Some("discord-token-value")
        );
        Ok(())
    }

    #[test]
    fn matrix_needs_a_store_passphrase_or_none_on_purpose() -> Result<(), ConfigError> {
        let matrix = [
            ("MATRIX_HOMESERVER", "https://m.example.org"),
            ("MATRIX_USER", "@bot:example.org"),
            ("MATRIX_PASSWORD", "password"),
        ];
        let error = config(&matrix).unwrap_err().to_string();
        assert!(error.contains("MATRIX_STORE_PASSPHRASE"), "{error}");
        assert!(error.contains("`none`"), "{error}");

        let unencrypted = config(&[&matrix[..], &[("MATRIX_STORE_PASSPHRASE", "none")]].concat())?;
        assert!(
            unencrypted
                .matrix
                .is_some_and(|m| m.store_passphrase.is_none())
        );
        let encrypted = config(&[&matrix[..], &[("MATRIX_STORE_PASSPHRASE", "s3cret")]].concat())?;
        assert_eq!(
            encrypted
                .matrix
                .and_then(|m| m.store_passphrase)
                .map(|p| p.expose().to_string()),
            Some("s3cret".to_string())
        );
        Ok(())
    }

    #[test]
    fn invites_come_from_the_bots_own_server_unless_said_otherwise() -> Result<(), ConfigError> {
        let matrix = [
            ("MATRIX_HOMESERVER", "https://m.example.org"),
            ("MATRIX_USER", "@bot:example.org"),
            ("MATRIX_PASSWORD", "password"),
            ("MATRIX_STORE_PASSPHRASE", "s3cret"),
        ];
        let own = config(&matrix)?.matrix.map(|m| m.allowed_servers);
        assert_eq!(own, Some(AllowedServers::Own));
        assert!(AllowedServers::Own.allows("Example.org", "example.org"));
        assert!(!AllowedServers::Own.allows("elsewhere.net", "example.org"));
        let any = config(&[&matrix[..], &[("MATRIX_ALLOWED_SERVERS", "*")]].concat())?;
        assert!(
            any.matrix
                .is_some_and(|m| m.allowed_servers.allows("anywhere.net", "example.org"))
        );
        let listed =
            config(&[&matrix[..], &[("MATRIX_ALLOWED_SERVERS", "a.org, B.org")]].concat())?;
        let listed = listed.matrix.map(|m| m.allowed_servers);
        assert!(listed.as_ref().is_some_and(
            |a| a.allows("b.org", "example.org") && !a.allows("example.org", "example.org")
        ));
        let bad = config(&[&matrix[..], &[("MATRIX_ROOM_LIMIT", "lots")]].concat());
        assert!(bad.is_err_and(|e| e.to_string().contains("MATRIX_ROOM_LIMIT")));
        Ok(())
    }

    #[test]
    fn pace_accepts_minutes_in_range() {
        assert_eq!(parse_pace("3"), Ok(3));
        assert_eq!(parse_pace("5m"), Ok(5));
        assert!(parse_pace("0").is_err());
        assert!(parse_pace("31").is_err());
        assert!(parse_pace("fast").is_err());
    }
}
