//! Conversations: creating and finding the incident channel, joining, inviting, the topic,
//! pins and archiving. Each of these is safe to repeat (at least once), so none takes a
//! [`super::Delivery`]: a second `pins.add` or `conversations.archive` is answered as done.

use serde::Deserialize;
use serde_json::json;
use slack_morphism::prelude::*;

use super::client::{SlackApi, SlackCallError};
use super::messages::read;
use crate::domain::ids::{ChannelId, UserId};

/// A channel as `users.conversations` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedChannel {
    pub id: ChannelId,
    pub name: Option<String>,
    /// Who created it: firebell's own channels are the bot's.
    pub creator: Option<UserId>,
}

/// One page of the channels the bot is in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelPage {
    pub channels: Vec<ListedChannel>,
    /// Where the next page starts; `None` on the last.
    pub next_cursor: Option<String>,
}

/// `users.conversations`' page size: its documented maximum is 1000 (999 in newer docs).
const CHANNEL_PAGE: &str = "999";

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

    /// One page of the unarchived channels, public and private, that the bot is a member of
    /// (`users.conversations`, Tier 3), from `cursor` on. The bot is in every channel it
    /// created, so this finds its own channels without paging the whole workspace through
    /// `conversations.list` (Tier 2: 20 calls a minute, 30 pages in a 30,000-channel workspace).
    pub async fn member_channels(&self, cursor: Option<&str>) -> Result<ChannelPage, SlackCallError> {
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
        let mut params = vec![
            ("types", "public_channel,private_channel".to_owned()),
            ("exclude_archived", "true".to_owned()),
            ("limit", CHANNEL_PAGE.to_owned()),
        ];
        params.extend(cursor.map(|c| ("cursor", c.to_owned())));
        let page: Page = read("users.conversations", self.raw_get("users.conversations", &params).await?)?;
        // A listed conversation whose id is not a channel's cannot be ours: it is skipped
        // rather than making the page unreadable.
        let channels = page
            .channels
            .into_iter()
            .filter_map(|listed| {
                let id = ChannelId::parse(&listed.id)?;
                Some(ListedChannel {
                    id,
                    name: listed.name,
                    creator: listed.creator.as_deref().and_then(UserId::parse),
                })
            })
            .collect();
        let next_cursor = page.response_metadata.and_then(|m| m.next_cursor).filter(|c| !c.is_empty());
        Ok(ChannelPage { channels, next_cursor })
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

    /// `conversations.setTopic`, unless the topic is that already (`conversations.info`):
    /// each set shows a "set the channel topic" message, so a retry after a lost answer, or a
    /// refresh that changes nothing in the topic, must not set it again.
    pub async fn set_topic(&self, channel: &ChannelId, topic: &str) -> Result<(), SlackCallError> {
        let marked = self.drill_mark().map(|mark| mark.topic(topic));
        let topic = marked.as_deref().unwrap_or(topic);
        let info = self.raw_get("conversations.info", &[("channel", channel.as_str().to_owned())]).await?;
        if info.pointer("/channel/topic/value").and_then(|value| value.as_str()) == Some(topic) {
            return Ok(());
        }
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
