//! What the outbox workers do about the ways a job can go wrong outside its step: a row that
//! cannot be read, and a worker that panics while running a job — its entry among the running
//! jobs dropped however the attempt ends, and the job settled when the worker starts again.
//! Also the test hook that makes a job panic (debug builds only).

use std::sync::Arc;
use std::time::Instant;

use super::{Running, Worker, after, backoff, lock};
use crate::app::App;
use crate::slack::Delivery;
use crate::store::outbox::{Job, UnreadableJob};

/// A row the claim could not read, which it failed on the spot: said once, and counted.
pub(super) fn unreadable(app: &App, row: &UnreadableJob) {
    tracing::error!(
        job.id = row.id,
        job.kind = row.kind,
        error = row.error,
        "an outbox job cannot be read; failed for good"
    );
    app.metrics.count("firebell_jobs_total", &[("kind", &row.kind), ("outcome", "unreadable")]);
}

/// A job's entry among the running ones, removed when the attempt ends however it ends: a
/// worker that panics mid-job leaves nothing for the heartbeat to keep alive.
pub(super) struct Registered<'a> {
    running: &'a Running,
    id: i64,
}

impl<'a> Registered<'a> {
    pub(super) fn new(running: &'a Running, id: i64, delivery: Arc<Delivery>) -> Registered<'a> {
        lock(running).insert(id, (Instant::now(), delivery));
        Registered { running, id }
    }
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        lock(self.running).remove(&self.id);
    }
}

/// Why a job was put back (or failed) when its worker panicked while running it.
const PANICKED: &str = "its worker panicked while running it";

/// Settles the jobs still running under this worker's name: those it was running when it
/// panicked (a worker's first start finds none; names are new with each process). Each is
/// retried after the usual backoff — or failed for good when it had panicked on its previous
/// attempt too, so that a job that always panics does not take a worker down forever.
pub(super) async fn settle_abandoned(app: &App, worker: &Worker) {
    let abandoned = match app.store.jobs_held_by(&worker.owner).await {
        Ok(jobs) => jobs,
        Err(error) => {
            // Their leases run out instead (the heartbeat no longer renews them) and another
            // claim retries them.
            tracing::warn!(error = format!("{error:#}"), "could not look for the jobs a panicked worker left");
            return;
        }
    };
    let now = app.clock.now();
    for job in abandoned {
        app.metrics.count("firebell_jobs_total", &[("kind", &job.kind), ("outcome", "panicked")]);
        let recorded = if job.last_error.as_deref() == Some(PANICKED) {
            tracing::error!(job.id = job.id, job.kind = job.kind, "a job panicked twice in a row; failed for good");
            app.store.fail_job(job.id, &worker.owner, PANICKED, now).await
        } else {
            tracing::warn!(
                job.id = job.id,
                job.kind = job.kind,
                "a job's worker panicked while running it; will retry"
            );
            app.store.retry_job(job.id, &worker.owner, after(now, backoff(job.attempts)), PANICKED, now).await
        };
        if let Err(error) = recorded {
            tracing::error!(job.id = job.id, error = format!("{error:#}"), "could not settle a panicked job");
        }
    }
}

/// The payload key that makes a job panic as it starts to run — in debug builds only, where it
/// is how the tests give a worker a panic (`tests/e2e/stalls.rs`). Release builds ignore it.
#[cfg(debug_assertions)]
#[expect(clippy::panic, reason = "a test hook: the panic is what it is for")]
pub(super) fn panic_if_asked(job: &Job) {
    if job.payload.get("firebell_test_panic").is_some() {
        panic!("job {} asked to panic (test hook)", job.id);
    }
}

#[cfg(not(debug_assertions))]
pub(super) fn panic_if_asked(_job: &Job) {}
