//! The PostgreSQL side of [`Conn`](super::Conn): a session of the sync
//! client, its prepared statements, and how values and errors cross over.

use std::cell::RefCell;
use std::collections::HashMap;

use postgres::Statement;
use postgres::error::SqlState;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};

use super::{Conn, Engine, Row, Value, numbered_placeholders};
use crate::store::{Result, StoreError};

/// A PostgreSQL session. Queries need the client mutably; the store
/// passes connections by shared reference, so it sits in a `RefCell`
/// (each statement borrows it only while it runs).
pub struct PgConn {
    client: RefCell<postgres::Client>,
    /// Statements this session has prepared, by their SQL as written:
    /// a statement sent as text is parsed and planned on every run and
    /// costs a second round trip, which made each write several times
    /// dearer than on SQLite.
    prepared: RefCell<HashMap<String, Statement>>,
}

/// Distinct statements kept per session; the store has fewer, so this
/// only bounds what a bug could build.
const PREPARED_AT_MOST: usize = 512;

impl PgConn {
    /// Connects with a URL or key-value string (`postgres://…`).
    pub fn connect(url: &str) -> Result<PgConn> {
        let client = postgres::Client::connect(url, postgres::NoTls).map_err(error)?;
        Ok(PgConn {
            client: RefCell::new(client),
            prepared: RefCell::new(HashMap::new()),
        })
    }

    /// Whether the connection was lost (a pool drops it then).
    pub fn is_broken(&self) -> bool {
        self.client.borrow().is_closed()
    }

    /// Runs `sql` as this session's prepared statement, preparing it the
    /// first time. A statement whose tables changed shape under it (a
    /// newer replica migrated the database) is forgotten, and its work
    /// run again like a transaction that met another: it is prepared
    /// afresh then.
    fn with_prepared<T>(
        &self,
        sql: &str,
        run: impl FnOnce(&mut postgres::Client, &Statement) -> std::result::Result<T, postgres::Error>,
    ) -> Result<T> {
        let statement = self.prepared(sql)?;
        run(&mut self.client.borrow_mut(), &statement).map_err(|failure| {
            if plan_went_stale(&failure) {
                self.prepared.borrow_mut().remove(sql);
                return StoreError::Conflict(format!("a prepared statement went stale: {failure}"));
            }
            error(failure)
        })
    }

    fn prepared(&self, sql: &str) -> Result<Statement> {
        if let Some(statement) = self.prepared.borrow().get(sql) {
            return Ok(statement.clone());
        }
        let statement = self
            .client
            .borrow_mut()
            .prepare(&numbered_placeholders(sql))
            .map_err(error)?;
        let mut prepared = self.prepared.borrow_mut();
        if prepared.len() >= PREPARED_AT_MOST {
            prepared.clear();
        }
        prepared.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }
}

/// The server's "cached plan must not change result type", or a
/// statement it no longer has: preparing again mends it. Its code (0A000)
/// is shared with every feature the server lacks, which running again
/// would not mend, so the words are checked too.
fn plan_went_stale(failure: &postgres::Error) -> bool {
    let Some(db) = failure.as_db_error() else {
        return false;
    };
    let code = db.code();
    *code == SqlState::INVALID_SQL_STATEMENT_NAME
        || (*code == SqlState::FEATURE_NOT_SUPPORTED
            && db
                .message()
                .starts_with("cached plan must not change result type"))
}

/// Connection and resource classes (08, 53, 57) pass; a lost
/// serialisation race or deadlock (40) passes at once when the work is
/// run again; the rest would fail again.
fn error(error: postgres::Error) -> StoreError {
    let class = error.code().map(|code| &code.code()[..2]);
    let transient = error.is_closed() || matches!(class, Some("08" | "53" | "57"));
    // The server's own words and code, not only "db error".
    let message = match error.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => error.to_string(),
    };
    match class {
        Some("23") => StoreError::Constraint(message),
        Some("40") => StoreError::Conflict(message),
        _ => StoreError::Postgres { message, transient },
    }
}

impl ToSql for Value<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        // PostgreSQL types each parameter from where it stands; an
        // integer may stand where a narrower one or a flag is wanted.
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(n) if *ty == Type::INT4 => i32::try_from(*n)?.to_sql(ty, out),
            Value::Int(n) if *ty == Type::INT2 => i16::try_from(*n)?.to_sql(ty, out),
            Value::Int(n) if *ty == Type::BOOL => (*n != 0).to_sql(ty, out),
            Value::Int(n) => n.to_sql(ty, out),
            Value::Text(text) => text.to_sql(ty, out),
            Value::TextList(list) => list.to_sql(ty, out),
            Value::IntList(list) => list.to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        [Type::INT8, Type::INT4, Type::INT2, Type::BOOL].contains(ty)
            || <&str as ToSql>::accepts(ty)
            || <Vec<String> as ToSql>::accepts(ty)
            || <Vec<i64> as ToSql>::accepts(ty)
    }

    to_sql_checked!();
}

impl Row for postgres::Row {
    /// Integers of any width and flags (`EXISTS`, comparisons), so SQL
    /// written for SQLite reads the same here.
    fn opt_int(&self, column: usize) -> Result<Option<i64>> {
        let kind = self
            .columns()
            .get(column)
            .map(|c| c.type_().clone())
            .ok_or_else(|| StoreError::Corrupt(format!("no column {column}")))?;
        Ok(match kind {
            Type::INT4 => self
                .try_get::<_, Option<i32>>(column)
                .map_err(error)?
                .map(i64::from),
            Type::INT2 => self
                .try_get::<_, Option<i16>>(column)
                .map_err(error)?
                .map(i64::from),
            Type::BOOL => self
                .try_get::<_, Option<bool>>(column)
                .map_err(error)?
                .map(i64::from),
            _ => self.try_get(column).map_err(error)?,
        })
    }

    fn opt_text(&self, column: usize) -> Result<Option<String>> {
        self.try_get(column).map_err(error)
    }
}

fn params<'a>(values: &'a [Value<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    values.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

impl Conn for PgConn {
    fn engine(&self) -> Engine {
        Engine::Postgres
    }

    fn batch(&self, sql: &str) -> Result<()> {
        self.client.borrow_mut().batch_execute(sql).map_err(error)
    }

    fn execute(&self, sql: &str, values: &[Value<'_>]) -> Result<u64> {
        self.with_prepared(sql, |client, statement| {
            client.execute(statement, &params(values))
        })
    }

    fn for_each_row(
        &self,
        sql: &str,
        values: &[Value<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<()>,
    ) -> Result<()> {
        // Read in full first, so `each` may run statements of its own.
        let rows = self.with_prepared(sql, |client, statement| {
            client.query(statement, &params(values))
        })?;
        for row in &rows {
            each(row)?;
        }
        Ok(())
    }
}
