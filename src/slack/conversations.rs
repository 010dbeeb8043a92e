//! Conversations: creating and finding the incident channel, joining, inviting, the topic,
//! pins and archiving. Each of these is safe to repeat (at least once), so none takes a
//! [`super::Delivery`]: a second `pins.add` or `conversations.archive` is answered as done.

use serde::Deserialize;
use serde_json::json;
use slack_morphism::prelude::*;

use super::client::{SlackApi, SlackCallError};
use super::messages::read;
use crate::domain::ids::{ChannelId, UserId};

/// A channel as `conversations.list` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedChannel {
    pub id: ChannelId,
    /// Who created it: firebell's own channels are the bot's.
    pub creator: Option<UserId>,
}

/// `conversations.invite` errors about one of the people rather than the channel: with
/// `force`, everyone else was invited.
const PERSONAL_INVITE_ERRORS: [&str; 8] = [
    "already_in_channel",
    "cant_invite",
    "cant_invite_self",
    "user_not_found",
    "user_is_restricted",
    "ura_max_channels",
    "user_is_ultra_restricted",
    "not_allowed_token_type",
];

fn channel_id(method: &str, id: &SlackChannelId) -> Result<ChannelId, SlackCallError> {
    ChannelId::parse(&id.0).ok_or_else(|| SlackCallError::Refused(format!("{method} answered channel id {:?}", id.0)))
}

fn sm_channel(channel: &ChannelId) -> SlackChannelId {
    SlackChannelId(channel.as_str().to_owned())
}

impl SlackApi {
    /// `conversations.create`: a new public or private channel named `name`.
    pub async fn create_channel(&self, name: &str, private: bool) -> Result<ChannelId, SlackCallError> {
        let request = SlackApiConversationsCreateRequest::new(name.to_owned()).with_is_private(private);
        let answer =
            self.call("conversations.create", async |session| session.conversations_create(&request).await).await?;
        channel_id("conversations.create", &answer.channel.id)
    }

    /// The unarchived channel named `name`, public or private, when the bot can see it.
    pub async fn find_channel_named(&self, name: &str) -> Result<Option<ListedChannel>, SlackCallError> {
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            channels: Vec<Listed>,
            response_metadata: Option<Cursor>,
        }
        #[derive(Deserialize)]
        struct Listed {
            id: String,
            name: Option<String>,
            creator: Option<String>,
        }
        #[derive(Deserialize)]
        struct Cursor {
            next_cursor: Option<String>,
        }
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
            let page: Page = read("conversations.list", self.raw_get("conversations.list", &params).await?)?;
            if let Some(found) = page.channels.into_iter().find(|c| c.name.as_deref() == Some(name)) {
                let id = ChannelId::parse(&found.id).ok_or_else(|| {
                    SlackCallError::Refused(format!("conversations.list answered channel id {:?}", found.id))
                })?;
                return Ok(Some(ListedChannel { id, creator: found.creator.as_deref().and_then(UserId::parse) }));
            }
            cursor = page.response_metadata.and_then(|m| m.next_cursor).unwrap_or_default();
            if cursor.is_empty() {
                return Ok(None);
            }
        }
    }

    /// `conversations.join`: the bot joins a public channel.
    pub async fn join(&self, channel: &ChannelId) -> Result<(), SlackCallError> {
        let request = SlackApiConversationsJoinRequest::new(sm_channel(channel));
        self.call("conversations.join", async |session| session.conversations_join(&request).await).await?;
        Ok(())
    }

    /// `conversations.invite` for everyone at once (one call, not one per person: the method
    /// is Tier 3), with `force` so that people who cannot be invited (deactivated, already
    /// there) do not keep the others out. Slack then still answers with the first person's
    /// error: that is returned as `Ok(Some(code))`, the others having been invited. Raw: Slack
    /// takes `users` as a comma-separated list, which slack-morphism's request sends as an
    /// array.
    pub async fn invite(&self, channel: &ChannelId, people: &[&UserId]) -> Result<Option<String>, SlackCallError> {
        let users: Vec<&str> = people.iter().map(|person| person.as_str()).collect();
        let body = json!({"channel": channel.as_str(), "users": users.join(","), "force": true});
        match self.raw_post("conversations.invite", &body).await {
            Ok(_) => Ok(None),
            Err(SlackCallError::Refused(code)) if PERSONAL_INVITE_ERRORS.contains(&code.as_str()) => Ok(Some(code)),
            Err(other) => Err(other),
        }
    }

    /// `conversations.setTopic`.
    pub async fn set_topic(&self, channel: &ChannelId, topic: &str) -> Result<(), SlackCallError> {
        let request = SlackApiConversationsSetTopicRequest::new(sm_channel(channel), topic.to_owned());
        self.call("conversations.setTopic", async |session| session.conversations_set_topic(&request).await).await?;
        Ok(())
    }

    /// `pins.add`; a message pinned already counts as pinned.
    pub async fn pin(&self, channel: &ChannelId, ts: &str) -> Result<(), SlackCallError> {
        let request = SlackApiPinsAddRequest::new(sm_channel(channel), SlackTs(ts.to_owned()));
        match self.call("pins.add", async |session| session.pins_add(&request).await).await {
            Ok(_) => Ok(()),
            Err(SlackCallError::Refused(code)) if code == "already_pinned" => Ok(()),
            Err(other) => Err(other),
        }
    }

    /// `conversations.archive`; a channel archived already counts as archived.
    pub async fn archive(&self, channel: &ChannelId) -> Result<(), SlackCallError> {
        let request = SlackApiConversationsArchiveRequest::new(sm_channel(channel));
        match self.call("conversations.archive", async |session| session.conversations_archive(&request).await).await {
            Ok(_) => Ok(()),
            Err(SlackCallError::Refused(code)) if code == "already_archived" => Ok(()),
            Err(other) => Err(other),
        }
    }

    /// `conversations.info`: whether the channel exists and the bot can see it.
    pub async fn channel_exists(&self, channel: &ChannelId) -> Result<bool, SlackCallError> {
        let request = SlackApiConversationsInfoRequest::new(sm_channel(channel));
        match self.call("conversations.info", async |session| session.conversations_info(&request).await).await {
            Ok(_) => Ok(true),
            Err(SlackCallError::Refused(code)) if code == "channel_not_found" => Ok(false),
            Err(other) => Err(other),
        }
    }
}
