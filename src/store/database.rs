//! Which database the bot keeps its memory in, as `UPRIGHT_DATABASE` (or
//! `demo --database`) names it: a SQLite file for one process, or a
//! PostgreSQL server that several replicas share.

use std::path::PathBuf;

#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// A file beside the bot: a path, or `sqlite://path`.
    Sqlite(PathBuf),
    /// A server: `postgres://user:password@host:port/name` (or `postgresql://`).
    Postgres(String),
}

impl Database {
    /// Reads a database setting. A URL of any other kind is refused, so a
    /// scheme Upright does not speak never quietly becomes a SQLite file in
    /// a folder named after it (two processes "sharing" it would each run
    /// alone and send everything twice).
    pub fn parse(text: &str) -> Result<Database, String> {
        let text = text.trim();
        if let Some(path) = text.strip_prefix("sqlite://") {
            return if path.is_empty() {
                Err(
                    "`sqlite://` needs a file after it, e.g. `sqlite://upright.sqlite3`"
                        .to_string(),
                )
            } else {
                Ok(Database::Sqlite(PathBuf::from(path)))
            };
        }
        match text.split_once("://") {
            Some(("postgres" | "postgresql", rest)) => {
                if rest.is_empty() {
                    return Err(format!(
                        "`{text}` names no server; give one like \
                         `postgres://upright:secret@db.example.org/upright`"
                    ));
                }
                Ok(Database::Postgres(text.to_string()))
            }
            Some((scheme, _)) => Err(format!(
                "`{scheme}://` is not a database Upright can use; give the path of a SQLite \
                 file (e.g. `upright.sqlite3`) or a PostgreSQL URL \
                 (`postgres://user:password@host/name`)"
            )),
            None if text.is_empty() => Err("the database setting is empty".to_string()),
            None => Ok(Database::Sqlite(PathBuf::from(text))),
        }
    }

    /// The engine's name, for logs and `/healthz`.
    pub fn engine_name(&self) -> &'static str {
        match self {
            Database::Sqlite(_) => "sqlite",
            Database::Postgres(_) => "postgres",
        }
    }
}

/// The path, or the URL without its password: safe for logs and errors.
impl std::fmt::Display for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "{}", path.display()),
            Database::Postgres(url) => f.write_str(&without_password(url)),
        }
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}({self})", self.engine_name())
    }
}

/// `postgres://user:secret@host/db` as `postgres://user:***@host/db`.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split(':').next().unwrap_or_default();
            let hidden = if credentials.contains(':') {
                ":***"
            } else {
                ""
            };
            format!("{scheme}://{user}{hidden}@{host}{path}")
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setting_is_a_sqlite_file_a_postgres_url_or_refused() {
        let parse = |text: &str| Database::parse(text);
        assert_eq!(
            parse("upright.sqlite3"),
            Ok(Database::Sqlite("upright.sqlite3".into()))
        );
        assert_eq!(
            parse("sqlite:///var/lib/upright/bot.sqlite3"),
            Ok(Database::Sqlite("/var/lib/upright/bot.sqlite3".into()))
        );
        for url in [
            "postgres://upright:pw@db:5432/upright",
            "postgresql://upright@db/upright",
        ] {
            assert_eq!(parse(url), Ok(Database::Postgres(url.to_string())));
        }
        for (text, says) in [
            ("mysql://db/upright", "`mysql://` is not a database"),
            ("sqlite://", "needs a file"),
            ("postgres://", "names no server"),
            ("", "empty"),
        ] {
            let error = parse(text).expect_err(text);
            assert!(error.contains(says), "{text}: {error}");
        }
    }

    #[test]
    fn a_url_is_shown_without_its_password() {
        let shown = Database::Postgres("postgres://upright:s3cret@db:5432/upright".into());
        assert_eq!(shown.to_string(), "postgres://upright:***@db:5432/upright");
        assert!(!format!("{shown:?}").contains("s3cret"));
        let no_password = Database::Postgres("postgresql://upright@db/upright".into());
        assert_eq!(no_password.to_string(), "postgresql://upright@db/upright");
    }
}
