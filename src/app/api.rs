//! The JSON API for scripts and Grafana: incidents and statistics as the contract spells them
//! (`render::api`), read from the store. Never a private incident's details.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::App;
use crate::domain::incident::IncidentNumber;
use crate::render;
use crate::store::incidents::ApiStatus;

/// The most incidents one list answers with (the newest).
pub const API_LIST_LIMIT: i64 = 1000;

impl App {
    /// `GET /api/incidents`.
    pub async fn api_incidents(
        &self,
        status: Option<ApiStatus>,
        since: Option<DateTime<Utc>>,
    ) -> anyhow::Result<Value> {
        let mut incidents = Vec::new();
        for (incident, resolved_at) in self.store.incidents_for_api(status, since, API_LIST_LIMIT).await? {
            let fields = self.store.incident_fields(incident.id).await?;
            incidents.push(render::api::incident(&incident, resolved_at, &fields));
        }
        Ok(json!({"incidents": incidents}))
    }

    /// `GET /api/incidents/N`; `None` when there is no incident N.
    pub async fn api_incident(&self, number: i64) -> anyhow::Result<Option<Value>> {
        let Some(incident) = self.store.incident_by_number(IncidentNumber(number)).await? else { return Ok(None) };
        let resolved_at = self.store.resolved_at(incident.id).await?;
        let fields = self.store.incident_fields(incident.id).await?;
        let (timeline, followups) = if incident.private {
            (Vec::new(), Vec::new())
        } else {
            (self.store.timeline(incident.id).await?, self.store.followups(incident.id).await?)
        };
        Ok(Some(render::api::incident_detail(&incident, resolved_at, &fields, &timeline, &followups)))
    }

    /// `GET /api/stats?window=…`, over the last `days` days; drills are left out, as in
    /// `/incident stats`.
    pub async fn api_stats(&self, window: &str, days: i64) -> anyhow::Result<Value> {
        Ok(render::api::stats(window, &self.stats_over(days, crate::domain::stats::Drills::LeftOut).await?))
    }
}
