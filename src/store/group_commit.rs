//! Group commit: writes that arrive while the database is busy share one transaction, so one
//! durable commit (one fsync on SQLite) serves all of them instead of one each.
//!
//! A writer task takes every unit waiting in its queue (up to [`MAX_BATCH`]), runs them in
//! arrival order inside one transaction — each in its own savepoint, so a unit that fails is
//! undone alone — commits once, and only then answers each caller. Under light load a batch is
//! one unit and this costs what a plain transaction costs; under heavy load the batches grow
//! and throughput follows. Nothing is acknowledged before it is durable.
//!
//! Every write in the process waits on this one task, so nothing may stop it: a batch that
//! takes longer than [`BATCH_TIMEOUT`] (a database that stopped answering) or that panics (a
//! bug in a unit) is abandoned — rolled back, its connection closed rather than reused, its
//! callers told it failed — and the writer goes on with the next batch. After a panic it first
//! pauses for [`RESTART_PAUSE`], reporting itself down ([`GroupCommit::down`], which `/readyz`
//! shows), so that a bug is seen rather than retried in a tight loop.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::FutureExt;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Connection};
use tokio::sync::{mpsc, oneshot};

use super::Backend;

/// The most units one transaction takes.
pub const MAX_BATCH: usize = 256;
/// Units waiting beyond this make callers wait for room (backpressure, not memory growth).
const QUEUE: usize = 4 * MAX_BATCH;
/// The longest a batch may take from its first statement to its commit. Longer than SQLite's
/// busy timeout (5 s), so that a batch waiting out another process's writer is not cut short;
/// shorter than an HTTP request's deadline (10 s), so that the writers it held still get
/// firebell's own "try again" rather than a timeout.
pub const BATCH_TIMEOUT: Duration = Duration::from_secs(8);
/// How long the writer stays down after a batch panicked, before it takes the next one.
pub const RESTART_PAUSE: Duration = Duration::from_secs(1);

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
    /// Why the writer is down (restarting after a panic); `None` while it takes writes.
    down: Arc<Mutex<Option<String>>>,
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
        let down = Arc::new(Mutex::new(None));
        tokio::spawn(write_batches(pool, backend, queue, Arc::clone(&counts), Arc::clone(&down)));
        GroupCommit { units, counts, down }
    }

    /// Why the writer is not taking writes right now (it is restarting after a panic), or
    /// `None` when it is.
    pub fn down(&self) -> Option<String> {
        self.down.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
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
        answered.await.map_err(|_| anyhow::anyhow!("the database writer dropped the write: its batch failed first"))?
    }
}

async fn write_batches(
    pool: AnyPool,
    backend: Backend,
    mut queue: mpsc::Receiver<Unit>,
    counts: Arc<Counts>,
    down: Arc<Mutex<Option<String>>>,
) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(unit) => batch.push(unit),
                Err(_) => break,
            }
        }
        let mut finishes = Vec::with_capacity(batch.len());
        let outcome = write_batch(&pool, backend, batch, &mut finishes).await;
        let (committed, panic) = match outcome {
            Batch::Committed => {
                counts.commits.fetch_add(1, Ordering::Relaxed);
                counts.writes.fetch_add(finishes.len() as u64, Ordering::Relaxed);
                (Ok(()), None)
            }
            Batch::Failed(error) => {
                tracing::warn!(%error, writes = finishes.len(), "a group commit failed; its writes are refused");
                (Err(error), None)
            }
            Batch::Panicked(panic) => {
                tracing::error!(%panic, writes = finishes.len(), "a batch of writes panicked; the writer restarts");
                (Err(format!("the batch panicked: {panic}")), Some(panic))
            }
        };
        for finish in finishes {
            finish(committed.clone());
        }
        if let Some(panic) = panic {
            restart(&down, &panic).await;
        }
    }
}

/// How a batch ended.
enum Batch {
    Committed,
    /// Rolled back: the database refused it, or did not answer in time.
    Failed(String),
    /// A unit panicked; the message.
    Panicked(String),
}

/// Runs `batch` on a connection of its own, bounded by [`BATCH_TIMEOUT`] and surviving a panic.
/// A connection whose batch timed out or panicked may be in the middle of a statement: it is
/// closed (its transaction rolled back by the database), never returned to the pool.
async fn write_batch(pool: &AnyPool, backend: Backend, batch: Vec<Unit>, finishes: &mut Vec<Finish>) -> Batch {
    let mut conn = match pool.acquire().await {
        Ok(conn) => conn,
        Err(error) => return Batch::Failed(format!("{:#}", anyhow::Error::from(error))),
    };
    let run = tokio::time::timeout(BATCH_TIMEOUT, run_batch(&mut conn, backend, batch, finishes));
    match AssertUnwindSafe(run).catch_unwind().await {
        Ok(Ok(Ok(()))) => Batch::Committed,
        Ok(Ok(Err(error))) => Batch::Failed(format!("{error:#}")),
        Ok(Err(_)) => {
            discard(conn);
            Batch::Failed(format!("the database did not finish the batch within {BATCH_TIMEOUT:?}"))
        }
        Err(panic) => {
            discard(conn);
            let message = panic.downcast_ref::<&str>().map(|text| (*text).to_owned());
            Batch::Panicked(message.or_else(|| panic.downcast_ref::<String>().cloned()).unwrap_or_default())
        }
    }
}

/// Closes a connection left in an unknown state instead of handing it to the next caller.
fn discard(conn: PoolConnection<Any>) {
    drop(conn.detach());
}

/// The writer is down for [`RESTART_PAUSE`] after a panic: `/readyz` says why meanwhile, and
/// the writes that arrive wait in the queue for it.
async fn restart(down: &Mutex<Option<String>>, panic: &str) {
    *down.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(format!("restarting after a panic: {panic}"));
    tokio::time::sleep(RESTART_PAUSE).await;
    *down.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    tracing::info!("the database writer takes writes again");
}

/// Runs every unit in one transaction. Units that ran leave their finish in `finishes`; a unit
/// that never ran (the batch failed first) is dropped, which its caller hears as an error.
async fn run_batch(
    conn: &mut AnyConnection,
    backend: Backend,
    batch: Vec<Unit>,
    finishes: &mut Vec<Finish>,
) -> anyhow::Result<()> {
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
