//! The retrospective: build the document from the stored record (what `firebell retro`
//! prints), and queue its publication on `/incident retro`. Publishing — the history
//! backfill, the canvas or file — is an outbox step: `jobs/retro.rs`.

use std::collections::HashMap;

use super::App;
use super::jobs::{self, Step};
use super::reply::Reply;
use crate::catalog::{Key, text};
use crate::domain::ids::UserId;
use crate::domain::incident::{Incident, IncidentNumber};
use crate::domain::policy::Policy;
use crate::domain::retrospective::{self, Gathered, Retrospective};
use crate::store::Store;

/// Builds the retrospective from the database alone (what `firebell retro` prints, and what
/// is published after the history backfill).
pub async fn build(
    store: &Store,
    policy: &Policy,
    incident: &Incident,
    blameless: bool,
    names: &HashMap<UserId, String>,
) -> anyhow::Result<Retrospective> {
    let timeline = store.timeline(incident.id).await?;
    let messages = store.messages(incident.id).await?;
    let followups = store.followups(incident.id).await?;
    let roles = store.roles(incident.id).await?;
    let serious: Vec<_> = policy.severities.iter().take(2).map(|s| s.name.clone()).collect();
    let workspace_url = store.workspace_fact("url").await?;
    let gathered = Gathered {
        incident,
        timeline: &timeline,
        messages: &messages,
        followups: &followups,
        roles: &roles,
        names,
        blameless,
        serious: &serious,
        workspace_url: workspace_url.as_deref(),
        locale: policy.locale,
    };
    Ok(retrospective::build(&gathered))
}

/// The incident a `firebell retro` argument names: a number (`42`, `#42`) or a channel name.
pub async fn find_incident(store: &Store, reference: &str) -> anyhow::Result<Option<Incident>> {
    let trimmed = reference.trim().trim_start_matches('#');
    if let Ok(number) = trimmed.parse::<i64>() {
        return store.incident_by_number(IncidentNumber(number)).await;
    }
    store.incident_by_channel_name(trimmed).await
}

impl App {
    /// `/incident retro`: queue the build and say so.
    pub async fn start_retro(&self, incident: &Incident) -> anyhow::Result<Reply> {
        let now = self.clock.now();
        let mut conn = self.store.pool().acquire().await?;
        let step = Step::PublishRetro { incident_id: incident.id };
        jobs::enqueue(&mut conn, &step, &now.timestamp_millis().to_string(), now).await?;
        self.wake_outbox();
        Ok(Reply::ephemeral(
            text(self.policy.locale, Key::RetroBuilding).fill(&[("number", &incident.number.to_string())]),
        ))
    }
}
