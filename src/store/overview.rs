//! The queries behind the dashboard overview's figures that `/incident stats` does not need
//! (those it shares are in `store::stats`): follow-ups of the window's incidents, alert
//! groups by what they were counted under, and the pre-shared changes around now.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, to_millis};
use crate::domain::change::PlannedChange;
use crate::domain::followup::Followup;
use crate::domain::overview::AlertGroupSeen;
use crate::domain::policy::AlertAction;

/// The most changes listed around now.
const CHANGES_LIMIT: i64 = 50;

impl Store {
    /// The follow-ups of incidents declared since `since` (done or not), as
    /// [`Store::activity_since`] counts them.
    pub async fn followups_of_incidents_since(&self, since: DateTime<Utc>) -> anyhow::Result<Vec<Followup>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM followups WHERE incident_id IN (SELECT id FROM incidents WHERE declared_at >= $1) ORDER BY id",
            super::followups::COLUMNS
        ))
        .bind(to_millis(since))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(super::followups::read).collect()
    }

    /// Alert groups first seen since `since`, alike ones counted together.
    pub async fn alert_groups_seen_since(&self, since: DateTime<Utc>) -> anyhow::Result<Vec<AlertGroupSeen>> {
        let rows = sqlx::query(
            "SELECT source, rule, title, labels, state, action, COUNT(*) AS n FROM alert_groups WHERE first_seen >= $1
             GROUP BY source, rule, title, labels, state, action",
        )
        .bind(to_millis(since))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let labels: String = row.try_get("labels")?;
                Ok(AlertGroupSeen {
                    source: row.try_get("source")?,
                    rule: row.try_get("rule")?,
                    labels: serde_json::from_str(&labels).unwrap_or_default(),
                    title: row.try_get("title")?,
                    state: super::alerts::parse_state(&row.try_get::<String, _>("state")?),
                    action: if row.try_get::<String, _>("action")? == "declare" {
                        AlertAction::Declare
                    } else {
                        AlertAction::Prompt
                    },
                    count: usize::try_from(row.try_get::<i64, _>("n")?).unwrap_or(0),
                })
            })
            .collect()
    }

    /// Changes that happen (or happened) between `from` and `until` — at their planned time,
    /// else when announced — soonest first.
    pub async fn changes_between(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> anyhow::Result<Vec<PlannedChange>> {
        let rows = sqlx::query(
            "SELECT id, text, services, planned_at, author, created_at FROM changes
             WHERE COALESCE(planned_at, created_at) >= $1 AND COALESCE(planned_at, created_at) <= $2
             ORDER BY COALESCE(planned_at, created_at), id LIMIT $3",
        )
        .bind(to_millis(from))
        .bind(to_millis(until))
        .bind(CHANGES_LIMIT)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(super::changes::read).collect()
    }
}

#[cfg(test)]
#[path = "overview_tests.rs"]
mod tests;
