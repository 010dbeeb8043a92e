//! Opening the incident channel: reserve the name, create it, and adopt our own channel
//! after a crash instead of making a second one.

use serde_json::{Value, json};

use super::{DECLARED, Step, StepError, enqueue};
use crate::app::App;
use crate::domain::channel_name::channel_name;
use crate::domain::ids::ChannelId;
use crate::domain::incident::Incident;
use crate::slack::client::SlackCallError;
use crate::store::incidents;

/// Names tried before giving up (`-2` … `-20`); past that the workspace is full of them.
const MAX_NAME_ATTEMPTS: u32 = 20;

impl App {
    pub(super) async fn open_channel(&self, incident_id: i64, response_url: Option<String>) -> Result<(), StepError> {
        let mut incident = self.incident_or_invalid(incident_id).await?;
        if let Some(channel) = incident.channel.clone() {
            // A rerun after a crash: the channel is recorded; make sure what follows is queued.
            return self.channel_opened(&incident, &channel, response_url).await;
        }
        loop {
            let date = incident.declared_at.with_timezone(&self.policy.timezone).date_naive();
            let name = channel_name(
                &self.policy.channels.prefix,
                date,
                incident.number,
                &incident.title,
                incident.channel_attempt,
            );
            if incident.channel_name.as_deref() != Some(name.as_str()) {
                self.store.reserve_channel_name(incident.id, &name, incident.channel_attempt, self.clock.now()).await?;
                incident.channel_name = Some(name.clone());
            }
            let created =
                self.slack.post("conversations.create", &json!({"name": name, "is_private": incident.private})).await;
            let channel = match created {
                Ok(answer) => channel_id(&answer)?,
                Err(SlackCallError::Refused(code)) if code == "name_taken" => {
                    match self.own_channel_named(&name).await? {
                        Some(channel) => {
                            tracing::info!(slack.channel = %channel, "adopted the channel created before a restart");
                            channel
                        }
                        None if incident.channel_attempt < MAX_NAME_ATTEMPTS => {
                            incident.channel_attempt += 1;
                            continue;
                        }
                        None => return Err(SlackCallError::Refused("name_taken".to_owned()).into()),
                    }
                }
                Err(other) => return Err(other.into()),
            };
            return self.channel_opened(&incident, &channel, response_url).await;
        }
    }

    /// Records the channel and queues everything that needs it, in one transaction.
    async fn channel_opened(
        &self,
        incident: &Incident,
        channel: &ChannelId,
        response_url: Option<String>,
    ) -> Result<(), StepError> {
        let now = self.clock.now();
        let id = incident.id;
        let mut tx = self.store.begin().await?;
        if incident.channel.is_none() {
            incidents::set_channel(&mut tx, id, channel, now).await?;
        }
        // The fire alarm first: affected teams hear before anything else happens.
        enqueue(&mut tx, &Step::ShareNotices { incident_id: id, response_url: response_url.clone() }, DECLARED, now)
            .await?;
        let declared = self.declared_text(incident, channel);
        let tell = Step::TellReporter {
            user: incident.reporter.to_string(),
            response_url,
            text: declared,
            key: format!("declared:{id}"),
        };
        enqueue(&mut tx, &tell, DECLARED, now).await?;
        enqueue(&mut tx, &Step::InviteResponders { incident_id: id }, DECLARED, now).await?;
        enqueue(&mut tx, &Step::SetTopic { incident_id: id }, DECLARED, now).await?;
        enqueue(&mut tx, &Step::PostSummary { incident_id: id }, DECLARED, now).await?;
        tx.commit().await.map_err(anyhow::Error::from)?;
        self.wake_outbox();
        Ok(())
    }

    /// A channel named `name` that the bot itself created: ours from before a crash.
    async fn own_channel_named(&self, name: &str) -> Result<Option<ChannelId>, StepError> {
        let bot = self.slack.bot().await?;
        let mut cursor = String::new();
        loop {
            let mut params = vec![
                ("types", "public_channel,private_channel".to_owned()),
                ("exclude_archived", "true".to_owned()),
                ("limit", "1000".to_owned()),
            ];
            if !cursor.is_empty() {
                params.push(("cursor", cursor.clone()));
            }
            let page = self.slack.get("conversations.list", &params).await?;
            let found = page["channels"].as_array().into_iter().flatten().find(|c| c["name"] == name);
            if let Some(channel) = found {
                let ours = channel["creator"].as_str() == Some(bot.user_id.as_str());
                return Ok(if ours { channel["id"].as_str().and_then(ChannelId::parse) } else { None });
            }
            cursor = page["response_metadata"]["next_cursor"].as_str().unwrap_or_default().to_owned();
            if cursor.is_empty() {
                return Ok(None);
            }
        }
    }
}

fn channel_id(answer: &Value) -> Result<ChannelId, StepError> {
    answer["channel"]["id"]
        .as_str()
        .and_then(ChannelId::parse)
        .ok_or_else(|| StepError::Invalid("conversations.create answered without a channel id".to_owned()))
}
