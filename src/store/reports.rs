//! Published incident reports (migration 0021): where each report of an incident lives in
//! Slack, and its deadline nudge, claimed once.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::retrospectives::Published;
use super::{Store, from_millis, to_millis};
use crate::domain::incident::IncidentId;
use crate::domain::policy::DueAfter;

/// One report of an incident as published.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublishedReport {
    /// The canvas or file, its link, and how many times it was published (0: never).
    pub document: Published,
    /// Published with `final` at least once: it stays final.
    pub final_: bool,
    pub published_at: Option<DateTime<Utc>>,
}

/// Where the report file being shared is remembered (as the retrospective's is).
pub fn pending_file_fact(incident_id: IncidentId, name: &str) -> String {
    format!("pending_report_file:{incident_id}:{name}")
}

/// Claims the deadline nudge of report `name` of an incident: `true` for the one caller that
/// claims it; `false` when it was nudged already or the report is published.
pub async fn claim_nudge(
    conn: &mut AnyConnection,
    incident_id: IncidentId,
    name: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let claimed = sqlx::query(
        "INSERT INTO incident_reports (incident_id, name, nudged_at) VALUES ($1, $2, $3)
         ON CONFLICT (incident_id, name) DO UPDATE SET nudged_at = excluded.nudged_at
         WHERE incident_reports.nudged_at IS NULL AND incident_reports.published_at IS NULL",
    )
    .bind(incident_id)
    .bind(name)
    .bind(to_millis(now))
    .execute(conn)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// Records a publication of report `name`, inside the caller's transaction (with the posts
/// that announce it), and indexes its text for search. Once final, it stays final.
pub async fn record(
    conn: &mut AnyConnection,
    incident_id: IncidentId,
    name: &str,
    published: &Published,
    final_: bool,
    markdown: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO incident_reports (incident_id, name, canvas_id, file_id, link, versions, is_final, published_at)
         VALUES ($1, $2, $3, $4, $5, 1, $6, $7)
         ON CONFLICT (incident_id, name) DO UPDATE SET canvas_id = excluded.canvas_id,
             file_id = excluded.file_id, link = excluded.link, versions = incident_reports.versions + 1,
             is_final = CASE WHEN incident_reports.is_final = 1 THEN 1 ELSE excluded.is_final END,
             published_at = excluded.published_at",
    )
    .bind(incident_id)
    .bind(name)
    .bind(published.canvas_id.as_deref())
    .bind(published.file_id.as_deref())
    .bind(published.link.as_deref())
    .bind(i64::from(final_))
    .bind(to_millis(now))
    .execute(&mut *conn)
    .await?;
    super::search::index(conn, incident_id, &super::search::Source::Report(name), markdown).await
}

impl Store {
    /// Report `name` of an incident, if it was ever published or nudged.
    pub async fn report(&self, incident_id: IncidentId, name: &str) -> anyhow::Result<Option<PublishedReport>> {
        let row = sqlx::query(
            "SELECT canvas_id, file_id, link, versions, is_final, published_at FROM incident_reports
             WHERE incident_id = $1 AND name = $2",
        )
        .bind(incident_id)
        .bind(name)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| -> anyhow::Result<PublishedReport> {
            let final_: i64 = row.try_get("is_final")?;
            let published_at: Option<i64> = row.try_get("published_at")?;
            Ok(PublishedReport {
                document: Published {
                    canvas_id: row.try_get("canvas_id")?,
                    file_id: row.try_get("file_id")?,
                    link: row.try_get("link")?,
                    versions: row.try_get("versions")?,
                },
                final_: final_ != 0,
                published_at: published_at.map(from_millis),
            })
        })
        .transpose()
    }

    /// The incidents whose report `name`, due `due_millis` after `due_after`, is due by
    /// `now` (and not before `since`), neither published nor nudged, and not closed.
    pub async fn reports_due(
        &self,
        name: &str,
        due_after: DueAfter,
        due_millis: i64,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<(IncidentId, DateTime<Utc>)>> {
        let moment = match due_after {
            DueAfter::Declared => "declared_at",
            DueAfter::Resolved => "resolved_at",
        };
        let rows = sqlx::query(&format!(
            "SELECT i.id, i.{moment} AS moment FROM incidents i
             WHERE i.status <> 'closed' AND i.{moment} IS NOT NULL
               AND i.{moment} <= $1 AND i.{moment} > $2
               AND NOT EXISTS (SELECT 1 FROM incident_reports r WHERE r.incident_id = i.id AND r.name = $3
                               AND (r.published_at IS NOT NULL OR r.nudged_at IS NOT NULL))
             ORDER BY i.id LIMIT 500"
        ))
        .bind(to_millis(now) - due_millis)
        .bind(to_millis(since) - due_millis)
        .bind(name)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let moment: i64 = row.try_get("moment")?;
                Ok((IncidentId::from_stored(row.try_get("id")?), from_millis(moment + due_millis)))
            })
            .collect()
    }

    /// When the incident was resolved (`None` while it is not).
    pub async fn resolved_at(&self, incident_id: IncidentId) -> anyhow::Result<Option<DateTime<Utc>>> {
        let millis: Option<Option<i64>> = sqlx::query_scalar("SELECT resolved_at FROM incidents WHERE id = $1")
            .bind(incident_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(millis.flatten().map(from_millis))
    }
}
