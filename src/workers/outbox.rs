//! The outbox workers: a pool of them claims due jobs (at most one running per incident, and
//! in order within a lane), runs them while one heartbeat per process renews their leases,
//! and records each outcome. Idle, they only read.
//!
//! Retries with capped exponential backoff on network errors and 5xx, honours `Retry-After`
//! on rate limits, and stops on permanent errors (logged once, counted, and reported to the
//! reporter). A token Slack rejects makes `/readyz` fail and the job wait; nothing is dropped,
//! and once the token works again (a later call, or `auth.test` after a restart) the held
//! jobs go at once.
//!
//! The workers and the heartbeat run supervised (`workers::supervise`): one that panics is
//! started again after a pause, `/readyz` answering 503 meanwhile. The job a worker was running
//! when it panicked is retried, or failed when it panicked the time before too; a job row that
//! cannot be read is failed by the claim that meets it ([`recovery`]).

mod recovery;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::app::jobs::{JobKind, StepContext, StepError};
use crate::pagers::PagerError;
use crate::slack::Delivery;
use crate::slack::client::{AUTH_ERRORS, SlackCallError};
use crate::store::Store;
use crate::store::outbox::Job;
use crate::workers::supervise::supervised;
use recovery::{Registered, panic_if_asked, settle_abandoned, unreadable};

/// With nothing due, how long the worker sleeps before it looks again (a read) for work that
/// another replica left behind; its own new work wakes it at once.
const IDLE_LOOK: Duration = Duration::from_secs(1);
/// After losing a race for a due job to another replica, or after a database error.
const RACE_BACKOFF: Duration = Duration::from_millis(250);
/// How many heartbeats a lease lasts: a live process renews its jobs' leases this many times
/// per lease, so a slow commit or two does not cost it a job.
const BEATS_PER_LEASE: u32 = 4;
/// The first retry waits this long; each further one twice as long, up to the cap.
const BACKOFF_BASE: Duration = Duration::from_millis(250);
/// Retries never wait longer than this, so delivery resumes soon after an outage ends.
pub const BACKOFF_CAP: Duration = Duration::from_secs(5);
/// While Slack rejects the token, jobs wait this long between tries.
const AUTH_RETRY: Duration = Duration::from_secs(30);

/// The token works (again): jobs held back by its rejection go now, not at their next try.
pub async fn release_held_jobs(store: &Store, now: DateTime<Utc>) {
    match store.release_jobs_held_for(&AUTH_ERRORS, now).await {
        Ok(0) => {}
        Ok(released) => tracing::info!(jobs = released, "the work held back by the rejected token goes now"),
        Err(error) => tracing::warn!(
            error = format!("{error:#}"),
            "could not release the work held back by the rejected token; it goes at its next try"
        ),
    }
}

/// Delay before retry number `attempts` (1-based).
pub fn backoff(attempts: i64) -> Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1).max(0)).unwrap_or(u32::MAX).min(16);
    BACKOFF_BASE.saturating_mul(2u32.saturating_pow(exponent)).min(BACKOFF_CAP)
}

/// The most a retry's time is spread by.
const MOST_SPREAD: Duration = Duration::from_secs(2);

/// `delay`, plus up to a fifth of it (at most [`MOST_SPREAD`]) that differs from job to job and
/// attempt to attempt: jobs that failed together (a 429 answered to a burst, an outage that
/// ended) do not all try again at the same instant and fail together again.
pub fn spread(delay: Duration, job_id: i64, attempt: i64) -> Duration {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    (job_id, attempt).hash(&mut hasher);
    let fraction = f64::from(u32::try_from(hasher.finish() % 1_000).unwrap_or(0)) / 1_000.0;
    delay.saturating_add((delay / 5).min(MOST_SPREAD).mul_f64(fraction))
}

/// `delay` after `now`; a delay past what the calendar holds saturates instead of panicking
/// (Slack's `Retry-After` is clamped before it gets here; this is the last guard).
fn after(now: DateTime<Utc>, delay: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(delay)
        .ok()
        .and_then(|delay| now.checked_add_signed(delay))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The outbox workers of one process.
#[derive(Clone, Debug)]
pub struct Pool {
    /// This process's name in job leases; each worker adds its number (`{owner}-{n}`).
    pub owner: String,
    /// How long a claimed job stays a worker's without a heartbeat.
    pub lease: Duration,
    /// How many jobs run at once (jobs of one incident still run one at a time).
    pub concurrency: usize,
}

/// The jobs this process is running: each attempt's delivery, and when it was registered
/// (after its claim committed).
type Running = Arc<Mutex<HashMap<i64, (Instant, Arc<Delivery>)>>>;

/// Runs `pool.concurrency` workers until `shutdown` fires; jobs in flight are finished first.
/// A slow call in one incident's job holds that incident only: the other workers carry on
/// with every other incident's jobs. One heartbeat renews the leases of all of them. Each
/// worker and the heartbeat run supervised: one that panics is started again (see
/// `supervise`), and a worker started again first settles the job it was running.
pub async fn run(app: App, pool: Pool, shutdown: CancellationToken) {
    let running: Running = Arc::default();
    let beating = CancellationToken::new();
    let heart = {
        let (app, pool, running, stop) = (app.clone(), pool.clone(), Arc::clone(&running), beating.clone());
        let health = Arc::clone(&app.health);
        tokio::spawn(supervised("outbox heartbeat".to_owned(), health, beating.clone(), move || {
            heartbeat(app.clone(), pool.clone(), Arc::clone(&running), stop.clone())
        }))
    };
    let mut workers = tokio::task::JoinSet::new();
    for n in 1..=pool.concurrency.max(1) {
        let worker = Worker { owner: format!("{}-{n}", pool.owner), lease: pool.lease, running: Arc::clone(&running) };
        let (app, stop) = (app.clone(), shutdown.clone());
        let health = Arc::clone(&app.health);
        workers.spawn(supervised(format!("outbox worker {n}"), health, shutdown.clone(), move || {
            work(app.clone(), worker.clone(), stop.clone())
        }));
    }
    while workers.join_next().await.is_some() {}
    // The jobs in flight are finished: their leases need no more renewing.
    beating.cancel();
    let _ = heart.await;
}

/// Every quarter lease, while this process runs any job: renews all their leases in one
/// write, and tells each job whether it still holds its own. Idle, it writes nothing.
async fn heartbeat(app: App, pool: Pool, running: Running, stop: CancellationToken) {
    let mut beat = tokio::time::interval((pool.lease / BEATS_PER_LEASE).max(Duration::from_millis(1)));
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = beat.tick() => {}
        }
        if lock(&running).is_empty() {
            continue;
        }
        let started = Instant::now();
        // The database extends the leases by its own clock; here they are known to hold at
        // least a lease from before the renewal was sent.
        let until = after(app.clock.now(), pool.lease);
        let renewed = match app.store.renew_leases(&pool.owner, pool.lease).await {
            Ok(renewed) => renewed,
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), "could not renew the running jobs' leases");
                continue;
            }
        };
        for (id, (registered, delivery)) in lock(&running).iter() {
            if renewed.contains(id) {
                delivery.held_until(until, pool.lease);
            } else if *registered < started && !delivery.is_lost() {
                // Claimed before the renewal began, yet not renewed: the lease ran out and
                // another worker has the job.
                tracing::warn!(
                    job.id = id,
                    "a job's lease was lost; another worker has it, so it posts nothing more here"
                );
                delivery.lose();
            }
        }
    }
}

fn lock(running: &Running) -> std::sync::MutexGuard<'_, HashMap<i64, (Instant, Arc<Delivery>)>> {
    running.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One worker of the pool.
#[derive(Clone)]
struct Worker {
    owner: String,
    lease: Duration,
    running: Running,
}

/// One worker: claims a due job, runs it, and again; sleeps when nothing is due.
///
/// Idle, it only reads: it looks for the next due time, sleeps until then (or until a wake-up,
/// or [`IDLE_LOOK`]), and writes only to claim a job that is due.
async fn work(app: App, worker: Worker, shutdown: CancellationToken) {
    tracing::info!(worker = worker.owner, "outbox worker started");
    let steps = app.step_context();
    settle_abandoned(&app, &worker).await;
    while !shutdown.is_cancelled() {
        let now = app.clock.now();
        let wait = match app.store.next_job_due(now).await {
            Ok(Some(due)) if due <= now => {
                // The lease is counted from before the claim was sent: the database starts it
                // when the claim runs, which a busy commit queue may report much later.
                let claiming = app.clock.now();
                match app.store.claim_jobs(&worker.owner, claiming, worker.lease, 1).await {
                    Ok(claim) if !claim.jobs.is_empty() || !claim.unreadable.is_empty() => {
                        // There may be more: another idle worker looks while this one runs.
                        app.wake_outbox();
                        for row in &claim.unreadable {
                            unreadable(&app, row);
                        }
                        for job in claim.jobs {
                            run_job(&app, &steps, &worker, &job, claiming).await;
                        }
                        continue;
                    }
                    // Another worker took it, or what is due belongs to an incident whose job is
                    // running: look again when that may have changed.
                    Ok(_) => RACE_BACKOFF,
                    Err(error) => {
                        tracing::warn!(error = format!("{error:#}"), "could not claim outbox jobs");
                        RACE_BACKOFF
                    }
                }
            }
            Ok(Some(due)) => (due - now).to_std().unwrap_or_default().min(IDLE_LOOK),
            Ok(None) => IDLE_LOOK,
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), "could not look for due outbox jobs");
                RACE_BACKOFF
            }
        };
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = app.outbox_wakeup.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
    tracing::info!(worker = worker.owner, "outbox worker stopped");
}

/// Runs one claimed job (its lease renewed by the pool's heartbeat meanwhile) and records the
/// outcome. When the heartbeat finds the lease lost, the job makes no further post: another
/// worker has it.
async fn run_job(app: &App, steps: &StepContext, worker: &Worker, job: &Job, claiming: DateTime<Utc>) {
    // Each attempt is its own delivery: its posts are made once across attempts.
    let delivery = Arc::new(Delivery::new(job.id, job.attempts));
    delivery.held_until(after(claiming, worker.lease), worker.lease);
    let _registered = Registered::new(&worker.running, job.id, Arc::clone(&delivery));
    panic_if_asked(job);
    let result = steps.run_job(job, &delivery).await;
    // Still renewed while the outcome is recorded: a completion queued behind a burst of
    // writes must not find the lease run out and the job re-run (a direct message posted
    // twice, since a DM cannot be looked up).
    finish(app, steps, &worker.owner, job, result).await;
}

/// Maps a step's outcome to the job's: done, retried (after a backoff, `Retry-After`, or the
/// token's fix) or failed for good (and the reporter told).
async fn finish(app: &App, steps: &StepContext, owner: &str, job: &Job, result: Result<(), StepError>) {
    let now = app.clock.now();
    let count = |outcome: &str| app.metrics.count("firebell_jobs_total", &[("kind", &job.kind), ("outcome", outcome)]);
    let outcome = match result {
        Ok(()) => {
            count("done");
            // Only a job that called Slack says the token works: an external pager's event
            // succeeds while Slack rejects the token, and must not clear that alarm.
            if job.kind != JobKind::PagerEvent.as_str() && app.health.slack_accepted() {
                release_held_jobs(&app.store, now).await;
            }
            Outcome::Done
        }
        Err(StepError::Slack(SlackCallError::RateLimited { retry_after })) => {
            count("rate_limited");
            let delay = spread(retry_after.unwrap_or_else(|| backoff(job.attempts)), job.id, job.attempts);
            Outcome::Retry(after(now, delay), "ratelimited".to_owned())
        }
        Err(StepError::Slack(SlackCallError::Auth(code))) => {
            count("auth_rejected");
            app.health.slack_rejected(&code);
            Outcome::Retry(after(now, AUTH_RETRY), code)
        }
        Err(StepError::Slack(SlackCallError::Transient(reason))) => {
            count("retried");
            tracing::debug!(%reason, attempts = job.attempts, "transient failure; will retry");
            Outcome::Retry(after(now, spread(backoff(job.attempts), job.id, job.attempts)), reason)
        }
        Err(StepError::Pager(PagerError::RateLimited { retry_after })) => {
            count("rate_limited");
            let delay = spread(retry_after.unwrap_or_else(|| backoff(job.attempts)), job.id, job.attempts);
            Outcome::Retry(after(now, delay), "pager rate limited".to_owned())
        }
        Err(StepError::Pager(PagerError::Transient(reason))) => {
            count("retried");
            tracing::warn!(%reason, attempts = job.attempts, "the pager failed for now; will retry");
            Outcome::Retry(after(now, spread(backoff(job.attempts), job.id, job.attempts)), reason)
        }
        Err(StepError::Pager(PagerError::Refused(reason))) => {
            count("failed");
            tracing::error!(%reason, "the pager refused an event; it will not be sent");
            Outcome::Failed(reason)
        }
        Err(StepError::Waiting(reason)) => {
            count("waiting");
            tracing::debug!(%reason, attempts = job.attempts, "the step waits for something still on its way");
            Outcome::Retry(after(now, backoff(job.attempts)), reason)
        }
        Err(StepError::Internal(error)) => {
            count("retried");
            tracing::warn!(error = format!("{error:#}"), "job failed on our side; will retry");
            Outcome::Retry(after(now, backoff(job.attempts)), "internal error".to_owned())
        }
        Err(StepError::Slack(SlackCallError::Refused(code))) => {
            count("failed");
            tracing::error!(slack.error = code, "job failed for good");
            steps.report_failed_job(job, &code).await;
            Outcome::Failed(code)
        }
        Err(StepError::Invalid(reason)) => {
            count("failed");
            tracing::error!(%reason, "job cannot run");
            Outcome::Failed(reason)
        }
    };
    // A database that fails to record the outcome once must not leave the job to run again
    // (its effects repeated) when the lease runs out: the heartbeat keeps renewing the lease
    // while the outcome is tried a few more times.
    for attempt in 1..=RECORD_ATTEMPTS {
        let recorded = match &outcome {
            Outcome::Done => app.store.complete_job(job.id, owner, now).await,
            Outcome::Retry(run_at, reason) => app.store.retry_job(job.id, owner, *run_at, reason, now).await,
            Outcome::Failed(reason) => app.store.fail_job(job.id, owner, reason, now).await,
        };
        match recorded {
            Ok(true) => return,
            Ok(false) => {
                tracing::warn!("the job's lease expired while it ran; another worker owns it now");
                return;
            }
            Err(error) if attempt < RECORD_ATTEMPTS => {
                tracing::warn!(error = format!("{error:#}"), attempt, "could not record a job's outcome; trying again");
                tokio::time::sleep(RACE_BACKOFF).await;
            }
            Err(error) => tracing::error!(error = format!("{error:#}"), "could not record a job's outcome"),
        }
    }
}

/// How many times a job's outcome is tried before it is left to its lease.
const RECORD_ATTEMPTS: u32 = 5;

/// What became of one attempt of a job, as recorded.
enum Outcome {
    Done,
    /// Pending again, due at that time, with the reason.
    Retry(DateTime<Utc>, String),
    /// Failed for good, with the reason.
    Failed(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_a_quarter_second_up_to_the_cap() {
        let delays: Vec<u128> = (1..=7).map(|n| backoff(n).as_millis()).collect();
        assert_eq!(delays, [250, 500, 1000, 2000, 4000, 5000, 5000]);
        assert_eq!(backoff(10_000), BACKOFF_CAP);
        assert_eq!(backoff(0), BACKOFF_BASE);
    }

    #[test]
    fn retries_are_spread_by_up_to_a_fifth_and_at_most_two_seconds() {
        let second = Duration::from_secs(1);
        let spreads: Vec<Duration> = (1..=50).map(|job| spread(second, job, 1)).collect();
        assert!(spreads.iter().all(|d| *d >= second && *d <= second + second / 5), "{spreads:?}");
        let mut distinct = spreads.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert!(distinct.len() > 40, "jobs that failed together retry apart: {distinct:?}");
        assert_eq!(spread(second, 7, 1), spread(second, 7, 1), "the same job and attempt, the same time");
        let long = Duration::from_secs(60);
        assert!((1..=50).all(|job| spread(long, job, 1) <= long + MOST_SPREAD));
    }

    #[test]
    fn a_delay_past_what_the_calendar_holds_saturates_instead_of_panicking() {
        let now = Utc::now();
        assert_eq!(after(now, Duration::MAX), DateTime::<Utc>::MAX_UTC);
        assert_eq!(after(now, Duration::from_secs(10_000_000_000_000)), DateTime::<Utc>::MAX_UTC);
        assert!(spread(Duration::MAX, 1, 1) == Duration::MAX);
    }
}
