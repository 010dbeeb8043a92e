//! Storage: everything that speaks SQL, on SQLite (default) or PostgreSQL.
//!
//! One set of portable queries (`$1` placeholders, `ON CONFLICT`, `RETURNING`, times as UTC
//! milliseconds) runs on both through sqlx's `Any` driver; each backend has its own
//! migrations folder. Nothing outside this module writes SQL.

pub mod alert_groups;
pub mod alerts;
pub mod backfills;
pub mod changes;
pub mod dashboard;
pub mod deliveries;
pub mod fields;
pub mod followups;
pub mod group_commit;
mod incident_id;
pub mod incidents;
pub mod members;
pub mod messages;
pub mod notices;
pub mod oncall;
pub mod outbox;
pub mod overview;
pub mod paging;
pub mod reminders;
pub mod reports;
pub mod retention;
pub mod retrospectives;
pub mod search;
pub mod stats;
pub mod timeline;

use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, TimeZone, Utc};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, ConnectOptions, Executor};

use crate::config::env::DatabaseUrl;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// How long a caller waits for a pooled connection before the store counts as unavailable.
/// Under Slack's 3 seconds, so that when the database is gone a slash command still gets
/// firebell's own "try again" reply in time (with 3 s, replies took 3.0 s during an outage).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// Which database is behind the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// How a transaction that writes begins, when not the default `BEGIN`. On SQLite it takes
    /// the write lock at once (`BEGIN IMMEDIATE`), waiting out another process's writer with
    /// the busy timeout. A deferred `BEGIN` would take it only at the first write, and a
    /// transaction that had already read gets `database is locked` at once, busy timeout or
    /// not (two replicas on one file did, for about one command in ten under load).
    pub(crate) fn write_transaction(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => Some("BEGIN IMMEDIATE"),
            Backend::Postgres => None,
        }
    }
}

impl Backend {
    /// The database's own clock, in UTC milliseconds, as an SQL expression: what leases are
    /// written and compared with, so that replicas whose clocks disagree agree on them.
    pub(crate) fn now_millis(self) -> &'static str {
        match self {
            // `julianday('now')` has millisecond precision; 2440587.5 is the Unix epoch's.
            Backend::Sqlite => "CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)",
            Backend::Postgres => "CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000) AS BIGINT)",
        }
    }
}

/// The database, shared by every request and worker.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The writer that batches hot-path writes into shared transactions.
    grouped: group_commit::GroupCommit,
    /// Which incidents are drills, as read so far: fixed at declaration, so an answer never
    /// goes stale, and the outbox asks it before every job (see [`Store::is_drill`]).
    drills: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<crate::domain::incident::IncidentId, bool>>>,
}

impl Store {
    /// Connects (creating a SQLite file when missing, in WAL mode with a busy timeout).
    /// Does not migrate: call [`Store::migrate`].
    pub async fn connect(url: &DatabaseUrl) -> anyhow::Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = match url {
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating the directory of the SQLite file {}", path.display()))?;
                }
                Backend::Sqlite
            }
            DatabaseUrl::Postgres(_) => Backend::Postgres,
        };
        let options: AnyConnectOptions = url
            .connect_url()
            .parse::<AnyConnectOptions>()
            .context("reading DATABASE_URL")?
            .log_statements(tracing::log::LevelFilter::Debug);
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 10,
            })
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the one writer; the busy timeout makes a
                        // second writer wait instead of failing at once.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .with_context(|| format!("connecting to {}", url.describe()))?;
        let grouped = group_commit::GroupCommit::start(pool.clone(), backend);
        Ok(Store { pool, backend, grouped, drills: Default::default() })
    }

    /// Applies pending migrations of this backend; returns how many were applied.
    pub async fn migrate(&self) -> anyhow::Result<usize> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        let before = self.applied_migrations().await.unwrap_or(0);
        migrator.run(&self.pool).await.context("applying migrations")?;
        let after = self.applied_migrations().await.unwrap_or(before);
        Ok(after.saturating_sub(before))
    }

    async fn applied_migrations(&self) -> anyhow::Result<usize> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = true")
            .fetch_one(&self.pool)
            .await?;
        Ok(usize::try_from(count).unwrap_or(0))
    }

    /// Runs `work` in a transaction shared with other writes arriving at the same time (group
    /// commit); resolves once that transaction is durable. For hot paths with many small writes.
    pub async fn write_grouped<T, F>(&self, work: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut sqlx::AnyConnection) -> group_commit::UnitFuture<'c, T> + Send + 'static,
    {
        self.grouped.write(work).await
    }

    /// Serializes the allocation of incident numbers until the transaction ends. PostgreSQL
    /// runs concurrent declarations side by side, and without this several replicas pick the
    /// same next number and all but one retry (a burst exhausted the retries); SQLite already
    /// has a single writer.
    pub async fn lock_incident_numbers(&self, conn: &mut sqlx::AnyConnection) -> anyhow::Result<()> {
        if self.backend == Backend::Postgres {
            // Any constant key works; this one spells "fire" in ASCII.
            sqlx::query("SELECT pg_advisory_xact_lock(1718186597)").execute(conn).await?;
        }
        Ok(())
    }

    /// Why the group-commit writer is not taking writes right now (restarting after a panic),
    /// or `None` when it is; `/readyz` reports it.
    pub fn writer_down(&self) -> Option<String> {
        self.grouped.down()
    }

    /// `(transactions, writes)` committed through [`Store::write_grouped`] so far.
    pub fn group_commit_counts(&self) -> (u64, u64) {
        self.grouped.counts()
    }

    /// Answers when the database does; used by `/readyz`.
    pub async fn ping(&self) -> anyhow::Result<()> {
        let one: i64 = sqlx::query_scalar("SELECT 1").fetch_one(&self.pool).await.context("database ping")?;
        anyhow::ensure!(one == 1, "database ping returned {one}");
        Ok(())
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for the query modules.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a transaction: state, timeline and outbox jobs are written together or not at all.
    pub async fn begin(&self) -> anyhow::Result<sqlx::Transaction<'static, sqlx::Any>> {
        match self.backend.write_transaction() {
            Some(statement) => self.pool.begin_with(statement).await,
            None => self.pool.begin().await,
        }
        .context("starting a transaction")
    }

    /// Closes every connection; later calls fail. Used at shutdown.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Instants are stored as UTC milliseconds since the epoch.
pub fn to_millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// Reads a stored instant back; out-of-range values (never written by us) clamp to the epoch.
pub fn from_millis(millis: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(millis).single().unwrap_or_default()
}
