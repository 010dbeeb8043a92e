//! The retrospective: gather what happened (the stored record, plus Slack's history for
//! what firebell did not see), build the document, and publish it — a canvas in the
//! incident channel, or a Markdown file where canvases are unavailable.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::App;
use super::jobs::{self, Step, StepError};
use super::reply::Reply;
use crate::catalog::{Key, text};
use crate::domain::ids::{ChannelId, UserId};
use crate::domain::incident::{Incident, IncidentNumber};
use crate::domain::policy::Policy;
use crate::domain::retrospective::{self, Gathered, Retrospective};
use crate::render;
use crate::slack::client::SlackCallError;
use crate::store::Store;
use crate::store::messages::{self, NewMessage};
use crate::store::retrospectives::Published;

/// Slack's page size for history: its maximum is 999; 200 keeps each page quick.
const PAGE: &str = "200";

/// Message subtypes that are housekeeping, not conversation.
const HOUSEKEEPING: [&str; 6] =
    ["channel_join", "channel_leave", "channel_topic", "channel_purpose", "channel_name", "pinned_item"];

/// Canvas errors that mean "canvases are not available here": fall back to a file.
fn canvases_unavailable(code: &str) -> bool {
    code.contains("canvas")
        || code.contains("not_allowed")
        || code.contains("free_team")
        || code.contains("tier")
        || code == "missing_scope"
        || code == "unknown_method"
}

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

    /// Copies into the record whatever the channel holds that firebell did not see.
    async fn backfill(&self, incident: &Incident, channel: &ChannelId) -> Result<(), StepError> {
        let bot = self.slack.bot().await?.user_id;
        let mut cursor = String::new();
        loop {
            let mut params = vec![("channel", channel.to_string()), ("limit", PAGE.to_owned())];
            if !cursor.is_empty() {
                params.push(("cursor", cursor.clone()));
            }
            let page = self.slack.get("conversations.history", &params).await?;
            let listed = page["messages"].as_array().cloned().unwrap_or_default();
            self.store_history(incident.id, channel, &listed, &bot).await?;
            for parent in listed.iter().filter(|m| m["reply_count"].as_u64().unwrap_or(0) > 0) {
                if let Some(ts) = parent["ts"].as_str() {
                    self.backfill_thread(incident.id, channel, ts, &bot).await?;
                }
            }
            cursor = page["response_metadata"]["next_cursor"].as_str().unwrap_or_default().to_owned();
            if cursor.is_empty() {
                return Ok(());
            }
        }
    }

    async fn backfill_thread(
        &self,
        incident_id: i64,
        channel: &ChannelId,
        ts: &str,
        bot: &UserId,
    ) -> Result<(), StepError> {
        let mut cursor = String::new();
        loop {
            let mut params = vec![("channel", channel.to_string()), ("ts", ts.to_owned()), ("limit", PAGE.to_owned())];
            if !cursor.is_empty() {
                params.push(("cursor", cursor.clone()));
            }
            let page = match self.slack.get("conversations.replies", &params).await {
                Ok(page) => page,
                Err(SlackCallError::Refused(code)) if code == "thread_not_found" => return Ok(()),
                Err(other) => return Err(other.into()),
            };
            let replies: Vec<Value> = page["messages"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|m| m["ts"].as_str() != Some(ts))
                .cloned()
                .collect();
            self.store_history(incident_id, channel, &replies, bot).await?;
            cursor = page["response_metadata"]["next_cursor"].as_str().unwrap_or_default().to_owned();
            if cursor.is_empty() {
                return Ok(());
            }
        }
    }

    /// Stores a page of history; messages already recorded are left as they are.
    async fn store_history(
        &self,
        incident_id: i64,
        channel: &ChannelId,
        page: &[Value],
        bot: &UserId,
    ) -> Result<(), StepError> {
        let mut tx = self.store.begin().await?;
        for message in page {
            let subtype = message["subtype"].as_str();
            let from_bot = message["user"].as_str() == Some(bot.as_str()) || message["bot_id"].is_string();
            if from_bot || subtype.is_some_and(|s| HOUSEKEEPING.contains(&s)) {
                continue;
            }
            let Some(ts) = message["ts"].as_str() else { continue };
            let new = NewMessage {
                channel,
                ts,
                thread_ts: message["thread_ts"].as_str().filter(|t| *t != ts),
                user: message["user"].as_str(),
                text: message["text"].as_str().unwrap_or_default(),
                file_count: message["files"].as_array().map_or(0, |f| i64::try_from(f.len()).unwrap_or(0)),
                subtype,
            };
            messages::insert(&mut tx, incident_id, &new).await?;
        }
        tx.commit().await.map_err(anyhow::Error::from)?;
        Ok(())
    }

    /// Display names for a named (not blameless) document, from `users.info`, cached per build.
    async fn names(&self, incident_id: i64) -> Result<HashMap<UserId, String>, StepError> {
        let mut names = HashMap::new();
        let mut people: Vec<UserId> =
            self.store.messages(incident_id).await?.into_iter().filter_map(|m| m.user).collect();
        people.extend(
            self.store
                .timeline(incident_id)
                .await?
                .into_iter()
                .filter_map(|e| e.author.as_deref().and_then(UserId::parse)),
        );
        for person in people {
            if names.contains_key(&person) {
                continue;
            }
            let name = match self.slack.get("users.info", &[("user", person.to_string())]).await {
                Ok(info) => {
                    let profile = &info["user"]["profile"];
                    [profile["display_name"].as_str(), profile["real_name"].as_str(), info["user"]["name"].as_str()]
                        .into_iter()
                        .flatten()
                        .find(|n| !n.is_empty())
                        .map_or_else(|| person.to_string(), str::to_owned)
                }
                Err(SlackCallError::Refused(_)) => person.to_string(),
                Err(other) => return Err(other.into()),
            };
            names.insert(person, name);
        }
        Ok(names)
    }

    /// The publishing step: backfill, build, publish (canvas or file), record, announce.
    pub(super) async fn publish_retro(&self, incident_id: i64) -> Result<(), StepError> {
        let incident = self.incident_or_invalid(incident_id).await?;
        let channel = self.channel_of(&incident).await?;
        self.backfill(&incident, &channel).await?;
        let blameless = self.policy.retro.blameless;
        let names = if blameless { HashMap::new() } else { self.names(incident_id).await? };
        let bot = self.slack.bot().await?;
        self.store.set_workspace_fact("url", &bot.url).await?;
        let retro =
            build(&self.store, &self.policy, &incident, blameless, &names).await.map_err(StepError::Internal)?;
        let markdown = render::retro::markdown(&retro, &self.policy);
        let title = text(self.policy.locale, Key::RetroDocumentTitle).fill(&[("number", &incident.number.to_string())]);
        let previous = self.store.retrospective(incident_id).await?.unwrap_or_default();
        let published = match self.publish_canvas(&channel, &title, &markdown, &previous).await {
            Ok(published) => published,
            Err(StepError::Slack(SlackCallError::Refused(code))) if canvases_unavailable(&code) => {
                tracing::info!(slack.error = code, "canvases unavailable; uploading the retrospective as a file");
                self.publish_file(&incident, &channel, &title, &markdown).await?
            }
            Err(other) => return Err(other),
        };
        let now = self.clock.now();
        self.store.record_retrospective(incident_id, &published, now).await?;
        let count = |key| -> String {
            match key {
                "events" => retro.timeline.len().to_string(),
                "followups" => retro.followups.iter().map(|(_, f)| f.len()).sum::<usize>().to_string(),
                _ => retro.questions.len().to_string(),
            }
        };
        let number = incident.number.to_string();
        let (events, followups, questions) = (count("events"), count("followups"), count("questions"));
        let mut args = vec![
            ("number", number.as_str()),
            ("events", &events),
            ("followups", &followups),
            ("questions", &questions),
        ];
        let summary = match &published.link {
            Some(link) => {
                args.push(("link", link));
                text(self.policy.locale, Key::RetroPublished).fill(&args)
            }
            None => text(self.policy.locale, Key::RetroPublishedNolink).fill(&args),
        };
        let versions = previous.versions + 1;
        let mut conn = self.store.pool().acquire().await.map_err(anyhow::Error::from)?;
        jobs::enqueue(
            &mut conn,
            &Step::PostInChannel { incident_id, text: summary },
            &format!("retro:{versions}"),
            now,
        )
        .await?;
        self.wake_outbox();
        Ok(())
    }

    async fn publish_canvas(
        &self,
        channel: &ChannelId,
        title: &str,
        markdown: &str,
        previous: &Published,
    ) -> Result<Published, StepError> {
        let content = json!({"type": "markdown", "markdown": markdown});
        let canvas_id = match &previous.canvas_id {
            // Running it again updates the same document.
            Some(canvas_id) => {
                let changes = json!([{"operation": "replace", "document_content": content}]);
                self.slack.post("canvases.edit", &json!({"canvas_id": canvas_id, "changes": changes})).await?;
                canvas_id.clone()
            }
            None => {
                let body = json!({"channel_id": channel.as_str(), "title": title, "document_content": content});
                let answer = self.slack.post("conversations.canvases.create", &body).await?;
                answer["canvas_id"]
                    .as_str()
                    .ok_or_else(|| StepError::Invalid("no canvas_id in the answer".into()))?
                    .to_owned()
            }
        };
        let bot = self.slack.bot().await?;
        let link = format!("{}/docs/{}/{canvas_id}", bot.url.trim_end_matches('/'), bot.team_id);
        Ok(Published { canvas_id: Some(canvas_id), file_id: None, link: Some(link), versions: previous.versions })
    }

    async fn publish_file(
        &self,
        incident: &Incident,
        channel: &ChannelId,
        title: &str,
        markdown: &str,
    ) -> Result<Published, StepError> {
        let filename = format!("incident-{}-retrospective.md", incident.number);
        let bytes = markdown.as_bytes().to_vec();
        let params = [("filename", filename.clone()), ("length", bytes.len().to_string())];
        let ticket = self.slack.get("files.getUploadURLExternal", &params).await?;
        let (Some(url), Some(file_id)) = (ticket["upload_url"].as_str(), ticket["file_id"].as_str()) else {
            return Err(StepError::Invalid("files.getUploadURLExternal answered without a URL".into()));
        };
        self.slack.upload(url, bytes).await?;
        let body = json!({"files": [{"id": file_id, "title": title}], "channel_id": channel.as_str()});
        let done = self.slack.post("files.completeUploadExternal", &body).await?;
        let link = done["files"][0]["permalink"].as_str().map(str::to_owned);
        Ok(Published { canvas_id: None, file_id: Some(file_id.to_owned()), link, versions: 0 })
    }
}
