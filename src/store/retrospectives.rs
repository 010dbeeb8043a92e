//! Published retrospectives and the workspace facts documents need.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, to_millis};
use crate::domain::incident::IncidentId;

/// Where an incident's retrospective lives in Slack.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Published {
    pub canvas_id: Option<String>,
    pub file_id: Option<String>,
    pub link: Option<String>,
    /// How many times it was published (1 = once).
    pub versions: i64,
}

/// Where the retrospective file being shared is remembered (a small named fact, like the
/// workspace URL).
pub fn pending_file_fact(incident_id: IncidentId) -> String {
    format!("pending_retro_file:{incident_id}")
}

impl Store {
    /// The published retrospective of an incident, if any.
    pub async fn retrospective(&self, incident_id: IncidentId) -> anyhow::Result<Option<Published>> {
        let row = sqlx::query("SELECT canvas_id, file_id, link, versions FROM retrospectives WHERE incident_id = $1")
            .bind(incident_id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|row| -> anyhow::Result<Published> {
            Ok(Published {
                canvas_id: row.try_get("canvas_id")?,
                file_id: row.try_get("file_id")?,
                link: row.try_get("link")?,
                versions: row.try_get("versions")?,
            })
        })
        .transpose()
    }

    /// Records a publication (the canvas made once, or the latest file).
    pub async fn record_retrospective(
        &self,
        incident_id: IncidentId,
        published: &Published,
        markdown: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO retrospectives (incident_id, canvas_id, file_id, link, versions, published_at) VALUES ($1, $2, $3, $4, 1, $5)
             ON CONFLICT (incident_id) DO UPDATE SET canvas_id = excluded.canvas_id, file_id = excluded.file_id,
                 link = excluded.link, versions = retrospectives.versions + 1, published_at = excluded.published_at",
        )
        .bind(incident_id)
        .bind(published.canvas_id.as_deref())
        .bind(published.file_id.as_deref())
        .bind(published.link.as_deref())
        .bind(to_millis(now))
        .execute(self.pool())
        .await?;
        // Its words are searchable.
        let mut conn = self.pool().acquire().await?;
        super::search::index(&mut conn, incident_id, &super::search::Source::Retrospective, markdown).await?;
        // A published retrospective ends the retro nudges.
        sqlx::query("UPDATE incidents SET retro_nudge_due_at = NULL, version = version + 1 WHERE id = $1")
            .bind(incident_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Forgets a workspace fact.
    pub async fn forget_workspace_fact(&self, name: &str) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM workspace_facts WHERE name = $1").bind(name).execute(self.pool()).await?;
        Ok(())
    }

    /// Remembers a workspace fact (e.g. `url`).
    pub async fn set_workspace_fact(&self, name: &str, value: &str) -> anyhow::Result<()> {
        sqlx::query("INSERT INTO workspace_facts (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value")
            .bind(name)
            .bind(value)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// A workspace fact, if known.
    pub async fn workspace_fact(&self, name: &str) -> anyhow::Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM workspace_facts WHERE name = $1")
            .bind(name)
            .fetch_optional(self.pool())
            .await?)
    }
}
