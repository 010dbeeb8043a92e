//! How far the retrospective's backfill of each incident channel got, so that a retry (after a
//! rate limit, a crash) resumes where it stopped instead of reading the channel from the start,
//! and a later run reads only what a finished one did not cover.
//!
//! Progress is written in the transaction that stores the page it follows from
//! ([`history_page_stored`], [`thread_page_stored`]): a page is either stored with its
//! progress or read again. The messages themselves are `messages`' business.

use sqlx::{AnyConnection, Row};

use super::Store;
use crate::domain::incident::IncidentId;

/// Where a backfill's reading of the channel history stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HistoryPosition {
    /// Not begun: the next page is the newest.
    Start,
    /// The next page starts at this cursor.
    At(String),
    /// Every page is read; what remains is the threads.
    Read,
}

/// A backfill's progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backfill {
    /// The newest message a finished backfill covered: a later run reads only newer ones.
    pub covered_ts: Option<String>,
    /// Where the run under way reads next.
    pub history: HistoryPosition,
}

/// A thread the run under way found and has not finished reading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingThread {
    /// The thread's parent.
    pub ts: String,
    /// Where the reading of a long thread continues; `None` at its start.
    pub cursor: Option<String>,
}

/// What a stored page of history moves forward.
#[derive(Clone, Copy, Debug)]
pub struct HistoryProgress<'a> {
    /// The newest message on the run's first page (kept from the first page on).
    pub newest_ts: Option<&'a str>,
    /// Where the reading goes next.
    pub next: &'a HistoryPosition,
    /// The threads the page holds, to be read.
    pub threads: &'a [&'a str],
}

/// Records, in the transaction that stored a page of history, where the reading goes next and
/// the threads it found.
pub async fn history_page_stored(
    conn: &mut AnyConnection,
    incident_id: IncidentId,
    progress: &HistoryProgress<'_>,
) -> anyhow::Result<()> {
    let (cursor, read) = match progress.next {
        HistoryPosition::Start => (None, 0_i64),
        HistoryPosition::At(cursor) => (Some(cursor.as_str()), 0),
        HistoryPosition::Read => (None, 1),
    };
    sqlx::query(
        "INSERT INTO backfills (incident_id, history_cursor, history_read, newest_ts) VALUES ($1, $2, $3, $4)
         ON CONFLICT (incident_id) DO UPDATE SET history_cursor = excluded.history_cursor,
             history_read = excluded.history_read, newest_ts = COALESCE(backfills.newest_ts, excluded.newest_ts)",
    )
    .bind(incident_id)
    .bind(cursor)
    .bind(read)
    .bind(progress.newest_ts)
    .execute(&mut *conn)
    .await?;
    for thread in progress.threads {
        sqlx::query(
            "INSERT INTO backfill_threads (incident_id, thread_ts) VALUES ($1, $2)
             ON CONFLICT (incident_id, thread_ts) DO NOTHING",
        )
        .bind(incident_id)
        .bind(*thread)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Records, in the transaction that stored a page of a thread's replies, where its reading
/// continues; `None` means the thread is read and is not read again.
pub async fn thread_page_stored(
    conn: &mut AnyConnection,
    incident_id: IncidentId,
    thread_ts: &str,
    next_cursor: Option<&str>,
) -> anyhow::Result<()> {
    let statement = match next_cursor {
        Some(_) => "UPDATE backfill_threads SET cursor = $3 WHERE incident_id = $1 AND thread_ts = $2",
        None => "DELETE FROM backfill_threads WHERE incident_id = $1 AND thread_ts = $2",
    };
    let mut query = sqlx::query(statement).bind(incident_id).bind(thread_ts);
    if let Some(cursor) = next_cursor {
        query = query.bind(cursor);
    }
    query.execute(conn).await?;
    Ok(())
}

impl Store {
    /// The backfill's progress for an incident (at the start, nothing covered, when none ran).
    pub async fn backfill(&self, incident_id: IncidentId) -> anyhow::Result<Backfill> {
        let row = sqlx::query("SELECT history_cursor, history_read, covered_ts FROM backfills WHERE incident_id = $1")
            .bind(incident_id)
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else {
            return Ok(Backfill { covered_ts: None, history: HistoryPosition::Start });
        };
        let cursor: Option<String> = row.try_get("history_cursor")?;
        let history = match (row.try_get::<i64, _>("history_read")? != 0, cursor) {
            (true, _) => HistoryPosition::Read,
            (false, Some(cursor)) => HistoryPosition::At(cursor),
            (false, None) => HistoryPosition::Start,
        };
        Ok(Backfill { covered_ts: row.try_get("covered_ts")?, history })
    }

    /// The next thread to read (oldest parent first), if any is left.
    pub async fn next_pending_thread(&self, incident_id: IncidentId) -> anyhow::Result<Option<PendingThread>> {
        let row = sqlx::query(
            "SELECT thread_ts, cursor FROM backfill_threads WHERE incident_id = $1 ORDER BY thread_ts LIMIT 1",
        )
        .bind(incident_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| -> anyhow::Result<PendingThread> {
            Ok(PendingThread { ts: row.try_get("thread_ts")?, cursor: row.try_get("cursor")? })
        })
        .transpose()
    }

    /// Reads the history again from its start in the run under way (its stored cursor is no
    /// longer valid): what was stored stays stored, and so do the threads found.
    pub async fn restart_backfill_history(&self, incident_id: IncidentId) -> anyhow::Result<()> {
        sqlx::query("UPDATE backfills SET history_cursor = NULL, history_read = 0 WHERE incident_id = $1")
            .bind(incident_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Reads a thread again from its start (its stored cursor is no longer valid).
    pub async fn restart_backfill_thread(&self, incident_id: IncidentId, thread_ts: &str) -> anyhow::Result<()> {
        sqlx::query("UPDATE backfill_threads SET cursor = NULL WHERE incident_id = $1 AND thread_ts = $2")
            .bind(incident_id)
            .bind(thread_ts)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Ends the run under way: it covered everything up to the newest message it saw (or what
    /// an earlier run covered, when it saw nothing newer), and the next run starts afresh.
    pub async fn finish_backfill(&self, incident_id: IncidentId) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE backfills SET covered_ts = COALESCE(newest_ts, covered_ts), newest_ts = NULL,
                 history_cursor = NULL, history_read = 0
             WHERE incident_id = $1",
        )
        .bind(incident_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
