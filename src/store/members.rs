//! The people an incident's channel is known to hold, for showing a private incident on the
//! dashboard only to them: those who joined (Slack's `member_joined_channel`), took a role,
//! were on call or paged for it, or wrote there.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::{Store, to_millis};
use crate::domain::ids::UserId;
use crate::domain::incident::IncidentId;

/// Records that `user` joined the incident's channel (again: nothing changes).
pub async fn joined(
    conn: &mut AnyConnection,
    incident_id: IncidentId,
    user: &UserId,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO incident_members (incident_id, user_id, joined_at) VALUES ($1, $2, $3)
         ON CONFLICT (incident_id, user_id) DO NOTHING",
    )
    .bind(incident_id)
    .bind(user.as_str())
    .bind(to_millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// Whether the record shows `user` in the incident's channel: joined, holding a role, on
    /// call or paged for it, or the author of a message or a timeline event there. (The
    /// reporter, the lead and the services' responders come from the incident and the policy.)
    pub async fn known_in_channel(&self, incident_id: IncidentId, user: &UserId) -> anyhow::Result<bool> {
        let found: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM (
                 SELECT user_id AS who FROM incident_members WHERE incident_id = $1 AND user_id = $2
                 UNION ALL SELECT user_id FROM incident_roles WHERE incident_id = $1 AND user_id = $2
                 UNION ALL SELECT user_id FROM incident_oncall WHERE incident_id = $1 AND user_id = $2
                 UNION ALL SELECT user_id FROM pages WHERE incident_id = $1 AND user_id = $2
                 UNION ALL SELECT user_id FROM channel_messages WHERE incident_id = $1 AND user_id = $2
                 UNION ALL SELECT author FROM timeline_events WHERE incident_id = $1 AND author = $2
             ) AS known",
        )
        .bind(incident_id)
        .bind(user.as_str())
        .fetch_one(self.pool())
        .await?;
        Ok(found > 0)
    }
}
