//! Running statements: each prepared once per connection and kept in its cache, run inline
//! or, when it may take long, through [`heavy`]; and the errors they map to.

use rusqlite::types::FromSql;
use rusqlite::{Connection, Params, ToSql};
use seatline_store::{Result, StoreError};
use tokio::runtime::{Handle, RuntimeFlavor};

/// Beyond this many rows a write or a read is run by [`heavy`].
pub(crate) const MANY: usize = 500;

/// Run `f`, statements that may take long (a bulk write, a whole organization's rows, a
/// prune, a wait for another process's write lock), so that it cannot starve the runtime:
/// on a multi-threaded runtime through `block_in_place`, which hands this worker's other
/// tasks to another thread first; inline otherwise (block_in_place is not allowed on a
/// current-thread runtime) and when `long` is false, since the hand-off costs more than a
/// short statement.
pub(crate) fn heavy<T>(long: bool, f: impl FnOnce() -> T) -> T {
    let multi = long
        && Handle::try_current().is_ok_and(|h| h.runtime_flavor() == RuntimeFlavor::MultiThread);
    if multi {
        tokio::task::block_in_place(f)
    } else {
        f()
    }
}

// ---- statements: every one prepared once per connection and kept in its cache ----

/// The rows of a query, each decoded by `f`.
pub(crate) fn rows<T>(
    c: &Connection,
    sql: &str,
    params: impl Params,
    mut f: impl FnMut(&rusqlite::Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut st = c.prepare_cached(sql).map_err(db)?;
    let mut rows = st.query(params).map_err(db)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(db)? {
        out.push(f(r)?);
    }
    Ok(out)
}

/// The first row of a query, decoded by `f`.
pub(crate) fn row<T>(
    c: &Connection,
    sql: &str,
    params: impl Params,
    f: impl FnOnce(&rusqlite::Row<'_>) -> Result<T>,
) -> Result<Option<T>> {
    let mut st = c.prepare_cached(sql).map_err(db)?;
    let mut rows = st.query(params).map_err(db)?;
    rows.next().map_err(db)?.map(f).transpose()
}

/// Run a statement that returns no rows; the rows it changed.
pub(crate) fn exec(c: &Connection, sql: &str, params: impl Params) -> Result<usize> {
    c.prepare_cached(sql)
        .map_err(db)?
        .execute(params)
        .map_err(db)
}

/// A text column as borrowed from the row (no copy), or NULL.
pub(crate) fn text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> Result<Option<&'r str>> {
    r.get_ref(i)
        .map_err(db)?
        .as_str_or_null()
        .map_err(|e| StoreError::Db(Box::new(e)))
}

/// A column of a row, its error a [`StoreError`].
pub(crate) trait Get {
    fn at<T: FromSql>(&self, i: usize) -> Result<T>;
}

impl Get for rusqlite::Row<'_> {
    fn at<T: FromSql>(&self, i: usize) -> Result<T> {
        self.get(i).map_err(db)
    }
}

/// A statement whose text depends on a query's filters, with its bound values; each shape
/// is cached like any other statement.
pub(crate) struct Sql<'a> {
    text: String,
    args: Vec<Box<dyn ToSql + 'a>>,
}

impl<'a> Sql<'a> {
    pub(crate) fn new(text: &str) -> Self {
        Sql {
            text: text.to_owned(),
            args: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// A placeholder bound to `value`.
    pub(crate) fn bind(&mut self, value: impl ToSql + 'a) -> &mut Self {
        self.text.push('?');
        self.args.push(Box::new(value));
        self
    }

    pub(crate) fn rows<T>(
        &self,
        c: &Connection,
        f: impl FnMut(&rusqlite::Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        rows(c, &self.text, rusqlite::params_from_iter(&self.args), f)
    }
}

/// A JSON array of `items`, bound where a statement reads a list with `json_each`: one
/// statement text for any length, so it stays cached.
pub(crate) fn json_list<T: serde::Serialize>(items: impl IntoIterator<Item = T>) -> String {
    serde_json::to_string(&items.into_iter().collect::<Vec<_>>()).expect("a list serializes")
}

/// A database error; a unique, foreign-key or check violation is a refused change
/// ([`StoreError::Constraint`], as sqlx classified them before).
pub(crate) fn db(e: rusqlite::Error) -> StoreError {
    use rusqlite::ffi;
    if let rusqlite::Error::SqliteFailure(f, message) = &e {
        if matches!(
            f.extended_code,
            ffi::SQLITE_CONSTRAINT_UNIQUE
                | ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                | ffi::SQLITE_CONSTRAINT_FOREIGNKEY
                | ffi::SQLITE_CONSTRAINT_CHECK
        ) {
            return StoreError::Constraint(message.clone().unwrap_or_else(|| f.to_string()));
        }
    }
    StoreError::Db(Box::new(e))
}

/// A stored JSON column that does not parse, or a value that does not serialize.
pub(crate) fn json(e: serde_json::Error) -> StoreError {
    StoreError::Db(Box::new(e))
}
