//! One way for the store to speak to either database engine: SQLite through
//! rusqlite (the embedded default) and, with the `postgres` feature,
//! PostgreSQL through the sync `postgres` client, both on the blocking pool.
//!
//! SQL is written once, in SQLite's `?N` style; PostgreSQL's side numbers
//! the placeholders its way (`$N`). Values are `i64`, text and NULL, which
//! both engines store alike (see `migrations/postgres/`).
//!
//! The store moves onto this one module at a time; `stream_positions` and
//! `post_names` speak through it so far.

use super::{Result, StoreError};

/// A statement's parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    Null,
    Int(i64),
    Text(&'a str),
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

impl rusqlite::ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(n) => ToSqlOutput::Borrowed(ValueRef::Integer(*n)),
            Value::Text(text) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
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
mod postgres_engine {
    use std::cell::RefCell;

    use postgres::types::{IsNull, ToSql, Type, to_sql_checked};

    use super::{Conn, Row, Value, numbered_placeholders};
    use crate::store::{Result, StoreError};

    /// A PostgreSQL session. Queries need the client mutably; the store
    /// passes connections by shared reference, so it sits in a `RefCell`
    /// (each statement borrows it only while it runs).
    pub struct PgConn {
        client: RefCell<postgres::Client>,
    }

    impl PgConn {
        /// Connects with a URL or key-value string (`postgres://…`).
        pub fn connect(url: &str) -> Result<PgConn> {
            let client = postgres::Client::connect(url, postgres::NoTls).map_err(error)?;
            Ok(PgConn {
                client: RefCell::new(client),
            })
        }
    }

    /// Connection and resource classes (08, 53, 57) and a lost
    /// serialisation race or deadlock (40) pass; the rest would fail again.
    fn error(error: postgres::Error) -> StoreError {
        let class = error.code().map(|code| &code.code()[..2]);
        let transient = error.is_closed() || matches!(class, Some("08" | "40" | "53" | "57"));
        match class {
            Some("23") => StoreError::Constraint(error.to_string()),
            _ => StoreError::Postgres {
                message: error.to_string(),
                transient,
            },
        }
    }

    impl ToSql for Value<'_> {
        fn to_sql(
            &self,
            ty: &Type,
            out: &mut postgres::types::private::BytesMut,
        ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
            match self {
                Value::Null => Ok(IsNull::Yes),
                Value::Int(n) => n.to_sql(ty, out),
                Value::Text(text) => text.to_sql(ty, out),
            }
        }

        fn accepts(ty: &Type) -> bool {
            <i64 as ToSql>::accepts(ty) || <&str as ToSql>::accepts(ty)
        }

        to_sql_checked!();
    }

    impl Row for postgres::Row {
        fn opt_int(&self, column: usize) -> Result<Option<i64>> {
            self.try_get(column).map_err(error)
        }

        fn opt_text(&self, column: usize) -> Result<Option<String>> {
            self.try_get(column).map_err(error)
        }
    }

    fn params<'a>(values: &'a [Value<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
        values.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
    }

    impl Conn for PgConn {
        fn execute(&self, sql: &str, values: &[Value<'_>]) -> Result<u64> {
            let sql = numbered_placeholders(sql);
            self.client
                .borrow_mut()
                .execute(sql.as_str(), &params(values))
                .map_err(error)
        }

        fn for_each_row(
            &self,
            sql: &str,
            values: &[Value<'_>],
            each: &mut dyn FnMut(&dyn Row) -> Result<()>,
        ) -> Result<()> {
            let sql = numbered_placeholders(sql);
            // Read in full first, so `each` may run statements of its own.
            let rows = self
                .client
                .borrow_mut()
                .query(sql.as_str(), &params(values))
                .map_err(error)?;
            for row in &rows {
                each(row)?;
            }
            Ok(())
        }
    }
}

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
