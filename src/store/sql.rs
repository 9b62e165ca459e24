//! One way for the store to speak to either database engine: SQLite through
//! rusqlite (the embedded default) and, with the `postgres` feature,
//! PostgreSQL through the sync `postgres` client, both on the blocking pool.
//!
//! SQL is written once, in SQLite's `?N` style; PostgreSQL's side numbers
//! the placeholders its way (`$N`). Values are `i64`, text and NULL, which
//! both engines store alike (see `migrations/postgres/`).
//!
//! The few places where the engines' SQL differs ask the connection which
//! engine it is ([`Conn::engine`]): a list parameter ([`in_list`],
//! [`in_key_list`]).

use super::{Result, StoreError};

/// Which database a connection speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A statement's parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    Null,
    Int(i64),
    Text(&'a str),
    /// A list of texts, matched with [`in_list`].
    TextList(&'a [String]),
    /// A list of integers (row ids), matched with [`in_list`].
    IntList(&'a [i64]),
}

impl From<i64> for Value<'_> {
    fn from(n: i64) -> Self {
        Value::Int(n)
    }
}

impl From<u32> for Value<'_> {
    fn from(n: u32) -> Self {
        Value::Int(i64::from(n))
    }
}

impl From<u8> for Value<'_> {
    fn from(n: u8) -> Self {
        Value::Int(i64::from(n))
    }
}

impl From<usize> for Value<'_> {
    /// Counts and limits; one past `i64::MAX` is no limit at all.
    fn from(n: usize) -> Self {
        Value::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

/// Flags are stored as 0 and 1 on both engines.
impl From<bool> for Value<'_> {
    fn from(flag: bool) -> Self {
        Value::Int(i64::from(flag))
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(text: &'a str) -> Self {
        Value::Text(text)
    }
}

impl<'a> From<&'a String> for Value<'a> {
    fn from(text: &'a String) -> Self {
        Value::Text(text)
    }
}

impl<'a> From<&'a [String]> for Value<'a> {
    fn from(list: &'a [String]) -> Self {
        Value::TextList(list)
    }
}

impl<'a> From<&'a [i64]> for Value<'a> {
    fn from(list: &'a [i64]) -> Self {
        Value::IntList(list)
    }
}

impl<'a, T: Into<Value<'a>>> From<Option<T>> for Value<'a> {
    fn from(value: Option<T>) -> Self {
        value.map_or(Value::Null, Into::into)
    }
}

/// A statement's parameters from plain values: `args![user_id, "matrix"]`.
#[macro_export]
macro_rules! args {
    ($($value:expr),* $(,)?) => {
        &[$($crate::store::sql::Value::from($value)),*]
    };
}
pub use args;

/// Locks the rows a due query reads until its transaction ends, passing
/// over rows another replica holds: on PostgreSQL `FOR UPDATE OF table SKIP
/// LOCKED`, so each due row is worked by one replica; SQLite has one writer
/// at a time and needs nothing.
pub fn claim_rows(engine: Engine, table: &str) -> String {
    match engine {
        Engine::Sqlite => String::new(),
        Engine::Postgres => format!(" FOR UPDATE OF {table} SKIP LOCKED"),
    }
}

/// `column` is one of the texts (or integers) in the list parameter
/// `?param`; `NOT (…)` around it for none of them. SQLite's
/// form keeps the planner on the due indexes (the `+` stops it from
/// choosing the platform index instead).
pub fn in_list(engine: Engine, column: &str, param: usize) -> String {
    match engine {
        Engine::Sqlite => format!("+{column} IN (SELECT value FROM json_each(?{param}))"),
        Engine::Postgres => format!("{column} = ANY(?{param})"),
    }
}

/// `column`, a key with an index of its own, is one of the integers (or
/// texts) in the list parameter `?param`: each is looked up by the index,
/// so a batch of rows is read in one statement.
pub fn in_key_list(engine: Engine, column: &str, param: usize) -> String {
    match engine {
        Engine::Sqlite => format!("{column} IN (SELECT value FROM json_each(?{param}))"),
        Engine::Postgres => format!("{column} = ANY(?{param})"),
    }
}

/// One row of a result, read by column index.
pub trait Row {
    fn opt_int(&self, column: usize) -> Result<Option<i64>>;
    fn opt_text(&self, column: usize) -> Result<Option<String>>;

    /// A column that may not be NULL.
    fn int(&self, column: usize) -> Result<i64> {
        self.opt_int(column)?.ok_or_else(|| null_in(column))
    }

    /// A column that may not be NULL.
    fn text(&self, column: usize) -> Result<String> {
        self.opt_text(column)?.ok_or_else(|| null_in(column))
    }
}

fn null_in(column: usize) -> StoreError {
    StoreError::Corrupt(format!("column {column} is NULL where a value must be"))
}

/// A connection (or transaction) of either engine.
pub trait Conn {
    fn engine(&self) -> Engine;

    /// Runs statements without parameters (schema, transaction control).
    fn batch(&self, sql: &str) -> Result<()>;

    /// Runs a statement; returns how many rows it changed.
    fn execute(&self, sql: &str, params: &[Value<'_>]) -> Result<u64>;

    /// Runs a query and hands each row to `each`, in order.
    fn for_each_row(
        &self,
        sql: &str,
        params: &[Value<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<()>,
    ) -> Result<()>;
}

/// What every connection can do with the two calls above.
pub trait ConnExt: Conn {
    /// The first row, read by `read`, if there is one.
    fn query_opt<T>(
        &self,
        sql: &str,
        params: &[Value<'_>],
        read: impl Fn(&dyn Row) -> Result<T>,
    ) -> Result<Option<T>> {
        let mut first = None;
        self.for_each_row(sql, params, &mut |row| {
            if first.is_none() {
                first = Some(read(row)?);
            }
            Ok(())
        })?;
        Ok(first)
    }

    /// The one row the query must give, read by `read`.
    fn query_one<T>(
        &self,
        sql: &str,
        params: &[Value<'_>],
        read: impl Fn(&dyn Row) -> Result<T>,
    ) -> Result<T> {
        self.query_opt(sql, params, read)?
            .ok_or_else(|| StoreError::Corrupt(format!("no row from: {sql}")))
    }

    /// Every row, read by `read`, in order.
    fn query_all<T>(
        &self,
        sql: &str,
        params: &[Value<'_>],
        read: impl Fn(&dyn Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut all = Vec::new();
        self.for_each_row(sql, params, &mut |row| {
            all.push(read(row)?);
            Ok(())
        })?;
        Ok(all)
    }
}

impl<C: Conn + ?Sized> ConnExt for C {}

impl dyn Conn + '_ {
    /// Begins a transaction; it is rolled back unless committed.
    pub fn transaction(&self) -> Result<Tx<'_>> {
        Tx::begin(self)
    }
}

/// A transaction (or a savepoint inside one): statements run through it,
/// and nothing it did stays unless [`Tx::commit`] is called.
pub struct Tx<'c> {
    conn: &'c dyn Conn,
    /// `None` for the outer transaction, the savepoint's depth inside one.
    savepoint: Option<u32>,
    finished: bool,
}

impl<'c> Tx<'c> {
    /// Begins a transaction on `conn`. On PostgreSQL it is serializable, as
    /// SQLite's transactions are (one writer at a time): two that meet fail
    /// one of them with [`StoreError::Conflict`], and [`super::Db::call`]
    /// runs its work again.
    pub fn begin(conn: &'c dyn Conn) -> Result<Tx<'c>> {
        conn.batch(match conn.engine() {
            Engine::Sqlite => "BEGIN",
            Engine::Postgres => "BEGIN ISOLATION LEVEL SERIALIZABLE",
        })?;
        Ok(Tx {
            conn,
            savepoint: None,
            finished: false,
        })
    }

    /// A savepoint inside this transaction: undone alone when dropped.
    pub fn savepoint(&self) -> Result<Tx<'_>> {
        let depth = self.savepoint.map_or(1, |d| d + 1);
        self.conn.batch(&format!("SAVEPOINT upright_{depth}"))?;
        Ok(Tx {
            conn: self,
            savepoint: Some(depth),
            finished: false,
        })
    }

    pub fn commit(mut self) -> Result<()> {
        self.finished = true;
        match self.savepoint {
            None => self.conn.batch("COMMIT"),
            Some(depth) => self
                .conn
                .batch(&format!("RELEASE SAVEPOINT upright_{depth}")),
        }
    }

    fn roll_back(&self) -> Result<()> {
        match self.savepoint {
            None => self.conn.batch("ROLLBACK"),
            Some(depth) => self.conn.batch(&format!(
                "ROLLBACK TO SAVEPOINT upright_{depth}; RELEASE SAVEPOINT upright_{depth}"
            )),
        }
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if !self.finished
            && let Err(error) = self.roll_back()
        {
            // The connection is unusable then; the next statement says so.
            tracing::warn!(%error, "rolling back a transaction failed");
        }
    }
}

impl Conn for Tx<'_> {
    fn engine(&self) -> Engine {
        self.conn.engine()
    }

    fn batch(&self, sql: &str) -> Result<()> {
        self.conn.batch(sql)
    }

    fn execute(&self, sql: &str, params: &[Value<'_>]) -> Result<u64> {
        self.conn.execute(sql, params)
    }

    fn for_each_row(
        &self,
        sql: &str,
        params: &[Value<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<()>,
    ) -> Result<()> {
        self.conn.for_each_row(sql, params, each)
    }
}

impl rusqlite::ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(n) => ToSqlOutput::Borrowed(ValueRef::Integer(*n)),
            Value::Text(text) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
            // A JSON array, read by `json_each` (see `in_list`).
            Value::TextList(list) => ToSqlOutput::from(
                serde_json::to_string(list)
                    .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?,
            ),
            Value::IntList(list) => ToSqlOutput::from(
                serde_json::to_string(list)
                    .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?,
            ),
        })
    }
}

impl Row for rusqlite::Row<'_> {
    fn opt_int(&self, column: usize) -> Result<Option<i64>> {
        Ok(self.get(column)?)
    }

    fn opt_text(&self, column: usize) -> Result<Option<String>> {
        Ok(self.get(column)?)
    }
}

/// SQLite: a connection (transactions and savepoints below).
impl Conn for rusqlite::Connection {
    fn engine(&self) -> Engine {
        Engine::Sqlite
    }

    fn batch(&self, sql: &str) -> Result<()> {
        Ok(self.execute_batch(sql)?)
    }

    fn execute(&self, sql: &str, params: &[Value<'_>]) -> Result<u64> {
        let changed = self
            .prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(params))?;
        Ok(changed as u64)
    }

    fn for_each_row(
        &self,
        sql: &str,
        params: &[Value<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<()>,
    ) -> Result<()> {
        let mut statement = self.prepare_cached(sql)?;
        let mut rows = statement.query(rusqlite::params_from_iter(params))?;
        while let Some(row) = rows.next()? {
            each(row)?;
        }
        Ok(())
    }
}

/// A transaction or savepoint is used as the connection it is part of.
macro_rules! conn_through_deref {
    ($($kind:ty),*) => {$(
        impl Conn for $kind {
            fn engine(&self) -> Engine {
                Engine::Sqlite
            }

            fn batch(&self, sql: &str) -> Result<()> {
                Conn::batch(&**self, sql)
            }

            fn execute(&self, sql: &str, params: &[Value<'_>]) -> Result<u64> {
                Conn::execute(&**self, sql, params)
            }

            fn for_each_row(
                &self,
                sql: &str,
                params: &[Value<'_>],
                each: &mut dyn FnMut(&dyn Row) -> Result<()>,
            ) -> Result<()> {
                Conn::for_each_row(&**self, sql, params, each)
            }
        }
    )*};
}

conn_through_deref!(rusqlite::Transaction<'_>, rusqlite::Savepoint<'_>);

/// `?N` placeholders as PostgreSQL's `$N`, outside quoted text.
pub fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    for c in sql.chars() {
        if c == '\'' {
            quoted = !quoted;
        }
        out.push(if c == '?' && !quoted { '$' } else { c });
    }
    out
}

#[cfg(feature = "postgres")]
pub use postgres_engine::PgConn;

#[cfg(feature = "postgres")]
mod postgres_engine;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres_outside_quotes() {
        assert_eq!(
            numbered_placeholders("SELECT ?1, '?', ?2 WHERE a = '?1'"),
            "SELECT $1, '?', $2 WHERE a = '?1'"
        );
    }
}
