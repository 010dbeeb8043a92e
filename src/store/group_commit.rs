//! Group commit: writes that arrive while the database is busy share one transaction, so one
//! durable commit (one fsync on SQLite) serves all of them instead of one each.
//!
//! A writer task takes every unit waiting in its queue (up to [`MAX_BATCH`]), runs them in
//! arrival order inside one transaction — each in its own savepoint, so a unit that fails is
//! undone alone — commits once, and only then answers each caller. Under light load a batch is
//! one unit and this costs what a plain transaction costs; under heavy load the batches grow
//! and throughput follows. Nothing is acknowledged before it is durable.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{AnyConnection, AnyPool, Connection};
use tokio::sync::{mpsc, oneshot};

use super::Backend;

/// The most units one transaction takes.
pub const MAX_BATCH: usize = 256;
/// Units waiting beyond this make callers wait for room (backpressure, not memory growth).
const QUEUE: usize = 4 * MAX_BATCH;

/// A boxed future borrowing the batch's connection.
pub type UnitFuture<'c, T> = Pin<Box<dyn Future<Output = anyhow::Result<T>> + Send + 'c>>;

/// Told the commit's outcome once the batch is done.
type Finish = Box<dyn FnOnce(Result<(), String>) + Send>;
/// A unit of work: runs on the batch's connection; `true` when it succeeded.
type Unit =
    Box<dyn for<'c> FnOnce(&'c mut AnyConnection) -> Pin<Box<dyn Future<Output = (bool, Finish)> + Send + 'c>> + Send>;

/// The queue to the writer task; cheap to clone.
#[derive(Clone, Debug)]
pub struct GroupCommit {
    units: mpsc::Sender<Unit>,
    counts: Arc<Counts>,
}

/// How much batching happened: transactions committed and the writes they carried.
#[derive(Debug, Default)]
struct Counts {
    commits: AtomicU64,
    writes: AtomicU64,
}

impl GroupCommit {
    /// Starts the writer task on `pool`; it stops when every handle is dropped.
    pub fn start(pool: AnyPool, backend: Backend) -> GroupCommit {
        let (units, queue) = mpsc::channel(QUEUE);
        let counts = Arc::new(Counts::default());
        tokio::spawn(write_batches(pool, backend, queue, Arc::clone(&counts)));
        GroupCommit { units, counts }
    }

    /// `(transactions committed, writes they carried)` so far.
    pub fn counts(&self) -> (u64, u64) {
        (self.counts.commits.load(Ordering::Relaxed), self.counts.writes.load(Ordering::Relaxed))
    }

    /// Runs `work` in a transaction shared with the writes around it; returns its result once
    /// that transaction is committed (or its error, or the commit's).
    pub async fn write<T, F>(&self, work: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut AnyConnection) -> UnitFuture<'c, T> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel::<anyhow::Result<T>>();
        let unit: Unit = Box::new(move |conn| {
            Box::pin(async move {
                let result = work(conn).await;
                let ok = result.is_ok();
                let finish: Finish = Box::new(move |commit| {
                    let outcome = match (result, commit) {
                        (Ok(value), Ok(())) => Ok(value),
                        (Err(error), _) => Err(error),
                        (Ok(_), Err(error)) => Err(anyhow::anyhow!("group commit failed: {error}")),
                    };
                    let _ = answer.send(outcome);
                });
                (ok, finish)
            })
        });
        self.units.send(unit).await.map_err(|_| anyhow::anyhow!("the database writer has stopped"))?;
        answered.await.map_err(|_| anyhow::anyhow!("the database writer dropped a write"))?
    }
}

async fn write_batches(pool: AnyPool, backend: Backend, mut queue: mpsc::Receiver<Unit>, counts: Arc<Counts>) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(unit) => batch.push(unit),
                Err(_) => break,
            }
        }
        let mut finishes = Vec::with_capacity(batch.len());
        let committed = run_batch(&pool, backend, batch, &mut finishes).await.map_err(|error| format!("{error:#}"));
        match &committed {
            Ok(()) => {
                counts.commits.fetch_add(1, Ordering::Relaxed);
                counts.writes.fetch_add(finishes.len() as u64, Ordering::Relaxed);
            }
            Err(error) => {
                tracing::warn!(%error, writes = finishes.len(), "a group commit failed; its writes are refused")
            }
        }
        for finish in finishes {
            finish(committed.clone());
        }
    }
}

/// Runs every unit in one transaction. Units that ran leave their finish in `finishes`; a unit
/// that never ran (the batch failed first) is dropped, which its caller hears as an error.
async fn run_batch(
    pool: &AnyPool,
    backend: Backend,
    batch: Vec<Unit>,
    finishes: &mut Vec<Finish>,
) -> anyhow::Result<()> {
    let mut conn = pool.acquire().await?;
    let mut tx = match backend.write_transaction() {
        Some(statement) => conn.begin_with(statement).await?,
        None => conn.begin().await?,
    };
    statements(&mut tx, "SAVEPOINT unit").await?;
    let count = batch.len();
    for (index, unit) in batch.into_iter().enumerate() {
        let (ok, finish) = unit(&mut tx).await;
        finishes.push(finish);
        // Ending one unit's savepoint and opening the next one's is one round trip to the
        // database (on SQLite, one hop to its worker thread): that hop is the batch's cost.
        let next = index + 1 < count;
        let end = match (ok, next) {
            (true, true) => "RELEASE SAVEPOINT unit; SAVEPOINT unit",
            (true, false) => "RELEASE SAVEPOINT unit",
            (false, true) => "ROLLBACK TO SAVEPOINT unit; RELEASE SAVEPOINT unit; SAVEPOINT unit",
            (false, false) => "ROLLBACK TO SAVEPOINT unit; RELEASE SAVEPOINT unit",
        };
        statements(&mut tx, end).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Runs fixed SQL that may hold several statements, in one round trip.
async fn statements(conn: &mut AnyConnection, sql: &'static str) -> anyhow::Result<()> {
    use sqlx::Executor;
    let _ = conn.execute(sqlx::raw_sql(sql)).await?;
    Ok(())
}
