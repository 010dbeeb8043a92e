//! Faults injected in the database: a trigger that makes one kind of write fail, on SQLite or
//! PostgreSQL, until it is cleared. Firebell's code is not touched: the failing statement is
//! an ordinary database error to it.
//!
//! A trigger on the first write after a commit stops whatever firebell is doing exactly at that
//! commit: everything before it is durable, nothing after it is written. Killing the process
//! then (SIGKILL) leaves the database as a crash at that boundary would.

use firebell::store::{Backend, Store};

/// The trigger's (and on PostgreSQL its function's) name; one fault at a time.
const NAME: &str = "injected_fault";

/// A kind of write that fails: `event` (`INSERT` or `UPDATE`) on `table`, for the rows whose
/// new values satisfy `when` (SQL over `NEW`), or for every row.
#[derive(Clone, Copy, Debug)]
pub struct Fault {
    pub table: &'static str,
    pub event: &'static str,
    pub when: Option<&'static str>,
}

impl Fault {
    /// Makes these writes fail until [`Fault::clear`].
    pub async fn inject(&self, store: &Store) {
        let Fault { table, event, when } = *self;
        let sql = match store.backend() {
            Backend::Sqlite => {
                let when = when.map(|w| format!("WHEN {w}")).unwrap_or_default();
                format!(
                    "CREATE TRIGGER {NAME} BEFORE {event} ON {table} FOR EACH ROW {when}
                     BEGIN SELECT RAISE(ABORT, 'injected fault'); END;"
                )
            }
            Backend::Postgres => {
                let when = when.map(|w| format!("WHEN ({w})")).unwrap_or_default();
                format!(
                    "CREATE OR REPLACE FUNCTION {NAME}() RETURNS trigger LANGUAGE plpgsql AS
                         $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$;
                     CREATE TRIGGER {NAME} BEFORE {event} ON {table} FOR EACH ROW {when} EXECUTE FUNCTION {NAME}();"
                )
            }
        };
        execute(store, &sql).await;
    }

    /// Lets these writes succeed again.
    pub async fn clear(&self, store: &Store) {
        let sql = match store.backend() {
            Backend::Sqlite => format!("DROP TRIGGER IF EXISTS {NAME}"),
            Backend::Postgres => format!("DROP TRIGGER IF EXISTS {NAME} ON {}", self.table),
        };
        execute(store, &sql).await;
    }
}

async fn execute(store: &Store, sql: &str) {
    use sqlx::Executor;
    let mut conn = store.pool().acquire().await.expect("a connection to inject a fault with");
    conn.execute(sqlx::raw_sql(sql)).await.unwrap_or_else(|error| panic!("{sql}: {error}"));
}
