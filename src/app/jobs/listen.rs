//! Slack work that follows channel events: fetching a message to highlight, answering a
//! mention, and catching a newcomer up.

use serde_json::{Value, json};

use super::StepError;
use crate::app::App;
use crate::catalog::{Key, text};
use crate::domain::ids::ChannelId;
use crate::render;
use crate::slack::client::SlackCallError;
use crate::store::messages::{self, NewMessage};
use crate::store::timeline::TimelineEntry;

/// The message with `ts` in a `conversations.history` / `conversations.replies` answer.
fn find<'a>(answer: &'a Value, ts: &str) -> Option<&'a Value> {
    answer["messages"].as_array()?.iter().find(|m| m["ts"].as_str() == Some(ts))
}

impl App {
    pub(super) async fn fetch_highlight(
        &self,
        incident_id: i64,
        channel: &str,
        ts: &str,
        by: &str,
    ) -> Result<(), StepError> {
        let channel_id =
            ChannelId::parse(channel).ok_or_else(|| StepError::Invalid(format!("{channel:?} is not a channel")))?;
        let window = [
            ("channel", channel.to_owned()),
            ("latest", ts.to_owned()),
            ("oldest", ts.to_owned()),
            ("inclusive", "true".to_owned()),
            ("limit", "1".to_owned()),
        ];
        let history = self.slack.get("conversations.history", &window).await?;
        let found = match find(&history, ts) {
            Some(message) => Some(message.clone()),
            // Not a top-level message: a reply, found through its thread.
            None => match self
                .slack
                .get("conversations.replies", &[("channel", channel.to_owned()), ("ts", ts.to_owned())])
                .await
            {
                Ok(replies) => find(&replies, ts).cloned(),
                Err(SlackCallError::Refused(code)) if code == "thread_not_found" => None,
                Err(other) => return Err(other.into()),
            },
        };
        let Some(message) = found else {
            tracing::info!(slack.channel = channel, "the message to highlight no longer exists");
            return Ok(());
        };
        let text = message["text"].as_str().unwrap_or_default();
        let thread_ts = message["thread_ts"].as_str().filter(|t| *t != ts);
        let new = NewMessage {
            channel: &channel_id,
            ts,
            thread_ts,
            user: message["user"].as_str(),
            text,
            file_count: message["files"].as_array().map_or(0, |f| i64::try_from(f.len()).unwrap_or(0)),
            subtype: message["subtype"].as_str(),
        };
        let mut tx = self.store.begin().await?;
        messages::insert(&mut tx, incident_id, &new).await?;
        tx.commit().await.map_err(anyhow::Error::from)?;
        if let Some(stored) = self.store.message(&channel_id, ts).await? {
            let mut tx = self.store.begin().await?;
            messages::highlight(&mut tx, &stored, by).await?;
            tx.commit().await.map_err(anyhow::Error::from)?;
        }
        Ok(())
    }

    pub(super) async fn answer_mention(&self, channel: &str, thread_ts: &str) -> Result<(), StepError> {
        let help = text(self.policy.locale, Key::MentionHelp).as_str();
        self.slack.post("chat.postMessage", &json!({"channel": channel, "thread_ts": thread_ts, "text": help})).await?;
        Ok(())
    }

    pub(super) async fn catch_up(&self, incident_id: i64, user: &str) -> Result<(), StepError> {
        let incident = self.incident_or_invalid(incident_id).await?;
        let channel = self.channel_of(&incident).await?;
        let timeline = self.store.timeline(incident_id).await?;
        let last_update = timeline.iter().rev().find_map(|e| match &e.entry {
            TimelineEntry::Update { text, .. } => Some(text.clone()),
            _ => None,
        });
        let mut highlights = Vec::new();
        for event in &timeline {
            if let TimelineEntry::Highlight { ts, .. } = &event.entry
                && let Some(message) = self.store.message(&channel, ts).await?
            {
                highlights.push(message);
            }
        }
        let link = match &incident.summary_ts {
            Some(ts) => {
                let params = [("channel", channel.to_string()), ("message_ts", ts.clone())];
                self.slack.get("chat.getPermalink", &params).await?["permalink"].as_str().map(str::to_owned)
            }
            None => None,
        };
        let message =
            render::catch_up::catch_up(&incident, &self.policy, last_update.as_deref(), &highlights, link.as_deref());
        match self
            .slack
            .post("chat.postEphemeral", &json!({"channel": channel.as_str(), "user": user, "text": message}))
            .await
        {
            Ok(_) => Ok(()),
            // They left again before the catch-up went out: nobody to tell.
            Err(SlackCallError::Refused(code)) if code == "user_not_in_channel" => Ok(()),
            Err(other) => Err(other.into()),
        }
    }
}
