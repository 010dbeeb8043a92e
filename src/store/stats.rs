//! The queries behind `/incident stats`.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, from_millis, to_millis};
use crate::domain::stats::{Drills, IncidentTimes};
use crate::domain::timeline::TimelineKind;

/// The condition on `incidents i` that leaves drills out, unless they are counted.
fn drills_filter(drills: Drills) -> &'static str {
    match drills {
        Drills::LeftOut => "i.is_drill = 0",
        Drills::Counted => "1 = 1",
    }
}

impl Store {
    /// Incidents declared since `since` (drills only when counted), with their acknowledgement,
    /// resolution and first alert.
    pub async fn incident_times(&self, since: DateTime<Utc>, drills: Drills) -> anyhow::Result<Vec<IncidentTimes>> {
        let rows = sqlx::query(&format!(
            "SELECT i.severity, i.declared_at, i.acknowledged_at, i.resolved_at, i.first_action_at, i.first_action_kind,
                    i.is_drill,
                    (SELECT MIN(t.at) FROM timeline_events t WHERE t.incident_id = i.id AND t.kind = $2) AS alerted_at
             FROM incidents i WHERE i.declared_at >= $1 AND {} ORDER BY i.declared_at",
            drills_filter(drills)
        ))
        .bind(to_millis(since))
        .bind(TimelineKind::Alert.name())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(IncidentTimes {
                    severity: row.try_get("severity")?,
                    declared_at: from_millis(row.try_get("declared_at")?),
                    acknowledged_at: row.try_get::<Option<i64>, _>("acknowledged_at")?.map(from_millis),
                    resolved_at: row.try_get::<Option<i64>, _>("resolved_at")?.map(from_millis),
                    alerted_at: row.try_get::<Option<i64>, _>("alerted_at")?.map(from_millis),
                    first_action: row
                        .try_get::<Option<i64>, _>("first_action_at")?
                        .map(from_millis)
                        .zip(row.try_get::<Option<String>, _>("first_action_kind")?),
                    drill: row.try_get::<i64, _>("is_drill")? != 0,
                })
            })
            .collect()
    }

    /// Reminders sent, escalation episodes, and follow-ups (open, done) of incidents declared
    /// since `since` (of drills only when counted).
    pub async fn activity_since(
        &self,
        since: DateTime<Utc>,
        drills: Drills,
    ) -> anyhow::Result<(usize, usize, usize, usize)> {
        let since = to_millis(since);
        let of_drills = match drills {
            Drills::LeftOut => {
                "AND (incident_id IS NULL OR incident_id NOT IN (SELECT id FROM incidents WHERE is_drill <> 0))"
            }
            Drills::Counted => "",
        };
        let drills = drills_filter(drills);
        let count = |n: i64| usize::try_from(n).unwrap_or(0);
        let reminders: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM outbox_jobs WHERE kind = 'post_reminder' AND created_at >= $1 {of_drills}"
        ))
        .bind(since)
        .fetch_one(self.pool())
        .await?;
        // One escalation tells several channels at one instant: count the instants.
        let escalations: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM (SELECT DISTINCT incident_id, created_at FROM outbox_jobs
             WHERE kind = 'escalate' AND created_at >= $1 {of_drills}) e"
        ))
        .bind(since)
        .fetch_one(self.pool())
        .await?;
        let open: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM followups f JOIN incidents i ON i.id = f.incident_id
             WHERE i.declared_at >= $1 AND f.done_at IS NULL AND {drills}"
        ))
        .bind(since)
        .fetch_one(self.pool())
        .await?;
        let done: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM followups f JOIN incidents i ON i.id = f.incident_id
             WHERE i.declared_at >= $1 AND f.done_at IS NOT NULL AND {drills}"
        ))
        .bind(since)
        .fetch_one(self.pool())
        .await?;
        Ok((count(reminders), count(escalations), count(open), count(done)))
    }
}
