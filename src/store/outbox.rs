//! The durable outbox: every Slack side effect is a job row, written in the same
//! transaction as the state change that caused it, and claimed by workers with a lease.
//!
//! Claiming is compare-and-set on the row's state and lease, so several replicas never run
//! one job at the same time; a lease that expires (a crashed worker) makes the job claimable
//! again. The worker that runs the jobs arrives with the declare flow.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Store, from_millis, to_millis};
use crate::domain::incident::IncidentId;

/// A job to enqueue.
#[derive(Clone, Debug)]
pub struct NewJob {
    /// What to do, e.g. `open_channel`, `post_notice`.
    pub kind: String,
    pub payload: Value,
    pub incident_id: Option<IncidentId>,
    /// Enqueueing a second job with the same key does nothing.
    pub dedupe_key: Option<String>,
    pub run_at: DateTime<Utc>,
    /// Jobs of one lane run in the order they were enqueued (`None`: no order to keep).
    pub lane: Option<String>,
}

/// A job's lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobState {
    Pending,
    Running,
    Done,
    Failed,
}

impl JobState {
    fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Option<JobState> {
        [JobState::Pending, JobState::Running, JobState::Done, JobState::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// A job as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: Value,
    pub incident_id: Option<IncidentId>,
    pub state: JobState,
    /// Claims so far, including the current one.
    pub attempts: i64,
    pub run_at: DateTime<Utc>,
    pub last_error: Option<String>,
}

/// What one claim took: the jobs to run, and the rows it could not read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Claim {
    pub jobs: Vec<Job>,
    /// Rows the claim could not read (a payload that is not JSON, a column of the wrong
    /// type), failed for good in the claim's own transaction: left pending, the first of them
    /// would fail every claim after it.
    pub unreadable: Vec<UnreadableJob>,
}

/// A job row that could not be read, and why (never its contents).
#[derive(Clone, Debug, PartialEq)]
pub struct UnreadableJob {
    pub id: i64,
    /// As stored; empty when even that could not be read.
    pub kind: String,
    pub error: String,
}

const COLUMNS: &str = "id, kind, payload, incident_id, state, attempts, run_at, last_error";

fn read(row: &AnyRow) -> anyhow::Result<Job> {
    let payload: String = row.try_get("payload")?;
    let state: String = row.try_get("state")?;
    Ok(Job {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        payload: serde_json::from_str(&payload)?,
        incident_id: row.try_get("incident_id")?,
        state: JobState::parse(&state).ok_or_else(|| anyhow::anyhow!("unknown job state {state:?}"))?,
        attempts: row.try_get("attempts")?,
        run_at: from_millis(row.try_get("run_at")?),
        last_error: row.try_get("last_error")?,
    })
}

/// Enqueues a job inside the caller's transaction; `None` when its dedupe key was taken.
pub async fn enqueue(conn: &mut AnyConnection, job: &NewJob, now: DateTime<Utc>) -> anyhow::Result<Option<i64>> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO outbox_jobs (kind, payload, incident_id, dedupe_key, state, run_at, created_at, lane)
         VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7)
         ON CONFLICT (dedupe_key) DO NOTHING
         RETURNING id",
    )
    .bind(&job.kind)
    .bind(job.payload.to_string())
    .bind(job.incident_id)
    .bind(job.dedupe_key.as_deref())
    .bind(to_millis(job.run_at))
    .bind(to_millis(now))
    .bind(job.lane.as_deref())
    .fetch_optional(conn)
    .await?;
    Ok(id)
}

/// Makes the incident's pending jobs of `kind` due now, inside the caller's transaction: what
/// they waited for (the incident channel) is there.
pub async fn make_due(
    conn: &mut AnyConnection,
    incident_id: IncidentId,
    kind: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let result = sqlx::query(
        "UPDATE outbox_jobs SET run_at = $1 WHERE incident_id = $2 AND kind = $3 AND state = 'pending' AND run_at > $1",
    )
    .bind(to_millis(now))
    .bind(incident_id)
    .bind(kind)
    .execute(conn)
    .await?;
    Ok(result.rows_affected())
}

impl Store {
    /// Enqueues one job in its own transaction.
    pub async fn enqueue(&self, job: &NewJob, now: DateTime<Utc>) -> anyhow::Result<Option<i64>> {
        let mut conn = self.pool().acquire().await?;
        enqueue(&mut conn, job, now).await
    }

    /// Claims up to `limit` due jobs for `owner`, each under a lease of `lease` from now by
    /// the database's clock.
    ///
    /// A job is due when it is pending and its time (`now`, by this process's clock, as it was
    /// scheduled) has come, or running under a lease that has run out by the database's clock
    /// (its worker died). Leases are written and compared with the database's clock only, so
    /// replicas whose clocks disagree never take each other's live jobs. Order is kept where
    /// Slack needs it: a job waits for the earlier unfinished jobs of its lane (see
    /// `Step::lane`); a job without a lane waits while another job of its incident without a
    /// lane runs. Each claim is an update conditioned on the state and lease just read, so of
    /// two replicas racing for one job exactly one wins. A claimed row that cannot be read is
    /// failed on the spot and returned as such, and the claim goes on.
    pub async fn claim_jobs(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: i64,
    ) -> anyhow::Result<Claim> {
        let now_ms = to_millis(now);
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
        let owner = owner.to_owned();
        let db_now = self.backend.now_millis();
        let candidates_sql = format!(
            "SELECT j.id, j.state, COALESCE(j.lease_until, 0) AS lease_until FROM outbox_jobs j
             WHERE ((j.state = 'pending' AND j.run_at <= $1) OR (j.state = 'running' AND j.lease_until < {db_now}))
               AND (j.lane IS NOT NULL OR j.incident_id IS NULL OR NOT EXISTS (
                     SELECT 1 FROM outbox_jobs r
                     WHERE r.incident_id = j.incident_id AND r.lane IS NULL AND r.state = 'running'
                       AND r.lease_until >= {db_now} AND r.id <> j.id))
               AND (j.lane IS NULL OR NOT EXISTS (
                     SELECT 1 FROM outbox_jobs e
                     WHERE e.lane = j.lane AND e.id < j.id AND e.state IN ('pending', 'running')))
             ORDER BY j.run_at, j.id LIMIT $2"
        );
        let claim_sql = format!(
            "UPDATE outbox_jobs SET state = 'running', lease_owner = $1, lease_until = {db_now} + $2, attempts = attempts + 1
             WHERE id = $3 AND state = $4 AND COALESCE(lease_until, 0) = $5
             RETURNING {COLUMNS}"
        );
        let quarantine_sql = "UPDATE outbox_jobs SET state = 'failed', last_error = $1, finished_at = $2,
                                     lease_owner = NULL, lease_until = NULL
                              WHERE id = $3";
        // Through the group-commit writer: claims share commits with the requests' writes
        // instead of contending with them for SQLite's one write lock.
        self.write_grouped(move |conn| {
            Box::pin(async move {
                let candidates = sqlx::query(&candidates_sql).bind(now_ms).bind(limit).fetch_all(&mut *conn).await?;
                let mut claimed = Claim::default();
                for candidate in candidates {
                    let id: i64 = candidate.try_get("id")?;
                    let state: String = candidate.try_get("state")?;
                    let old_lease: i64 = candidate.try_get("lease_until")?;
                    let row = sqlx::query(&claim_sql)
                        .bind(&owner)
                        .bind(lease_ms)
                        .bind(id)
                        .bind(&state)
                        .bind(old_lease)
                        .fetch_optional(&mut *conn)
                        .await?;
                    let Some(row) = row else { continue };
                    match read(&row) {
                        Ok(job) => claimed.jobs.push(job),
                        Err(error) => {
                            let error = format!("unreadable job row: {error:#}");
                            sqlx::query(quarantine_sql).bind(&error).bind(now_ms).bind(id).execute(&mut *conn).await?;
                            let kind = row.try_get("kind").unwrap_or_default();
                            claimed.unreadable.push(UnreadableJob { id, kind, error });
                        }
                    }
                }
                Ok(claimed)
            })
        })
        .await
    }

    /// When the next job falls due: the earliest pending job's time (of those not waiting
    /// for an earlier job of their lane or a running job of their incident), or when the
    /// first running job's lease runs out (its worker may have died), translated from the
    /// database's clock to `now`'s. `None` when there is no job to run. A read: an idle worker
    /// looks without writing.
    pub async fn next_job_due(&self, now: DateTime<Utc>) -> anyhow::Result<Option<DateTime<Utc>>> {
        let db_now = self.backend.now_millis();
        let row = sqlx::query(&format!(
            "SELECT
                 (SELECT MIN(j.run_at) FROM outbox_jobs j
                  WHERE j.state = 'pending'
                    AND (j.lane IS NOT NULL OR j.incident_id IS NULL OR NOT EXISTS (
                          SELECT 1 FROM outbox_jobs r
                          WHERE r.incident_id = j.incident_id AND r.lane IS NULL AND r.state = 'running'
                            AND r.lease_until >= {db_now}))
                    AND (j.lane IS NULL OR NOT EXISTS (
                          SELECT 1 FROM outbox_jobs e
                          WHERE e.lane = j.lane AND e.id < j.id AND e.state IN ('pending', 'running')))) AS pending_due,
                 (SELECT MIN(lease_until) - {db_now} FROM outbox_jobs WHERE state = 'running') AS lease_left"
        ))
        .bind(to_millis(now))
        .fetch_one(self.pool())
        .await?;
        let pending: Option<i64> = row.try_get("pending_due")?;
        let lease_left: Option<i64> = row.try_get("lease_left")?;
        let lease_due = lease_left.map(|left| to_millis(now).saturating_add(left.saturating_add(1)));
        Ok(pending.into_iter().chain(lease_due).min().map(from_millis))
    }

    /// Extends by `lease` from now, by the database's clock, the lease of every running job
    /// held by a worker of this process (lease owners `{process}-{n}`): the heartbeat that
    /// keeps a live process's jobs its own however long their Slack calls take. Returns the
    /// ids renewed; a job of this process that is not among them was lost (its lease ran out
    /// and another worker took it). One statement for all of a process's jobs, straight to
    /// the pool rather than behind the group-commit queue, where a heartbeat could arrive
    /// after its lease ran out.
    pub async fn renew_leases(&self, process: &str, lease: Duration) -> anyhow::Result<Vec<i64>> {
        let db_now = self.backend.now_millis();
        Ok(sqlx::query_scalar(&format!(
            "UPDATE outbox_jobs SET lease_until = {db_now} + $1
             WHERE state = 'running' AND lease_owner LIKE $2 RETURNING id"
        ))
        .bind(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX))
        .bind(format!("{process}-%"))
        .fetch_all(self.pool())
        .await?)
    }

    /// Records, before it is made, that job `id` begins its one effect that cannot be looked
    /// up afterwards. `true` the first time; `false` when an earlier attempt began it already
    /// (its outcome unknown: the effect is not made again).
    pub async fn begin_effect(&self, id: i64, now: DateTime<Utc>) -> anyhow::Result<bool> {
        let result = sqlx::query("UPDATE outbox_jobs SET effect_begun = $1 WHERE id = $2 AND effect_begun IS NULL")
            .bind(to_millis(now))
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(result.rows_affected() == 1)
    }

    /// The effect begun by job `id` was certainly not made (Slack refused it, or asked to
    /// wait): a later attempt may make it.
    pub async fn effect_not_made(&self, id: i64) -> anyhow::Result<()> {
        sqlx::query("UPDATE outbox_jobs SET effect_begun = NULL WHERE id = $1").bind(id).execute(self.pool()).await?;
        Ok(())
    }

    /// The jobs running under `owner`'s lease: what a worker started again after a panic finds
    /// it was running.
    pub async fn jobs_held_by(&self, owner: &str) -> anyhow::Result<Vec<Job>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM outbox_jobs WHERE state = 'running' AND lease_owner = $1 ORDER BY id"
        ))
        .bind(owner)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(read).collect()
    }

    /// Marks a claimed job done; `false` when `owner` no longer holds it.
    pub async fn complete_job(&self, id: i64, owner: &str, now: DateTime<Utc>) -> anyhow::Result<bool> {
        self.finish_job(id, owner, JobState::Done, None, None, now).await
    }

    /// Puts a claimed job back to run again at `run_at`, remembering why it failed.
    pub async fn retry_job(
        &self,
        id: i64,
        owner: &str,
        run_at: DateTime<Utc>,
        error: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        self.finish_job(id, owner, JobState::Pending, Some(run_at), Some(error), now).await
    }

    /// Marks a claimed job failed for good.
    pub async fn fail_job(&self, id: i64, owner: &str, error: &str, now: DateTime<Utc>) -> anyhow::Result<bool> {
        self.finish_job(id, owner, JobState::Failed, None, Some(error), now).await
    }

    async fn finish_job(
        &self,
        id: i64,
        owner: &str,
        state: JobState,
        run_at: Option<DateTime<Utc>>,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let finished = matches!(state, JobState::Done | JobState::Failed).then(|| to_millis(now));
        let (owner, error) = (owner.to_owned(), error.map(str::to_owned));
        self.write_grouped(move |conn| {
            Box::pin(async move {
                let result = sqlx::query(
                    "UPDATE outbox_jobs SET state = $1, run_at = COALESCE($2, run_at), last_error = COALESCE($3, last_error),
                            finished_at = $4, lease_owner = NULL, lease_until = NULL
                     WHERE id = $5 AND state = 'running' AND lease_owner = $6",
                )
                .bind(state.as_str())
                .bind(run_at.map(to_millis))
                .bind(error)
                .bind(finished)
                .bind(id)
                .bind(owner)
                .execute(conn)
                .await?;
                Ok(result.rows_affected() == 1)
            })
        })
        .await
    }

    /// Makes every pending job whose last failure was one of `codes` due now; returns how
    /// many. Used when Slack accepts the token again, so held work does not wait out its
    /// retry delay.
    pub async fn release_jobs_held_for(&self, codes: &[&str], now: DateTime<Utc>) -> anyhow::Result<u64> {
        if codes.is_empty() {
            return Ok(0);
        }
        let placeholders: Vec<String> = (2..codes.len() + 2).map(|n| format!("${n}")).collect();
        let sql = format!(
            "UPDATE outbox_jobs SET run_at = $1 WHERE state = 'pending' AND run_at > $1 AND last_error IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(to_millis(now));
        for code in codes {
            query = query.bind(*code);
        }
        Ok(query.execute(self.pool()).await?.rows_affected())
    }

    /// Whether a job of one of these kinds is still to run (pending or running) for the
    /// incident: what a step that needs its result waits for.
    pub async fn incident_jobs_in_flight(&self, incident_id: IncidentId, kinds: &[&str]) -> anyhow::Result<bool> {
        let placeholders: Vec<String> = (2..kinds.len() + 2).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT COUNT(*) FROM outbox_jobs
             WHERE incident_id = $1 AND state IN ('pending', 'running') AND kind IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query_scalar::<_, i64>(&sql).bind(incident_id);
        for kind in kinds {
            query = query.bind(*kind);
        }
        Ok(query.fetch_one(self.pool()).await? > 0)
    }

    /// The incident's jobs still to reach Slack (pending or running), and how many of them
    /// already failed at least once: what the dashboard says while Slack is not answering.
    pub async fn incident_backlog(&self, incident_id: IncidentId) -> anyhow::Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS waiting, COALESCE(SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END), 0) AS retrying
             FROM outbox_jobs WHERE incident_id = $1 AND state IN ('pending', 'running')",
        )
        .bind(incident_id)
        .fetch_one(self.pool())
        .await?;
        Ok((row.try_get("waiting")?, row.try_get("retrying")?))
    }

    /// Jobs not yet done or failed (pending or running): zero when the outbox is drained.
    pub async fn unfinished_jobs(&self) -> anyhow::Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM outbox_jobs WHERE state IN ('pending', 'running')")
            .fetch_one(self.pool())
            .await?)
    }

    /// Jobs that failed for good.
    pub async fn failed_jobs(&self) -> anyhow::Result<Vec<Job>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM outbox_jobs WHERE state = 'failed' ORDER BY id"))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(read).collect()
    }

    /// Every job ever enqueued, in order (for tests and diagnostics).
    pub async fn all_jobs(&self) -> anyhow::Result<Vec<Job>> {
        let rows =
            sqlx::query(&format!("SELECT {COLUMNS} FROM outbox_jobs ORDER BY id")).fetch_all(self.pool()).await?;
        rows.iter().map(read).collect()
    }

    /// The job with this id.
    pub async fn job(&self, id: i64) -> anyhow::Result<Option<Job>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM outbox_jobs WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(read).transpose()
    }
}
