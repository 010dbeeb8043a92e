//! Messages: posting (once per outbox job), editing, ephemeral replies, permalinks, and reading
//! a channel's history back.
//!
//! `chat.postMessage` goes through the raw escape hatch: firebell's Block Kit is JSON made by
//! `render`, and the delivery key rides in message metadata, neither of which slack-morphism's
//! typed message content carries as is.

use serde::Deserialize;
use serde_json::{Value, json};
use slack_morphism::prelude::*;

use super::client::{SlackApi, SlackCallError};
use super::delivery::Delivery;
use crate::domain::ids::{ChannelId, UserId};

/// The metadata event type that marks firebell's own deliveries.
const DELIVERY_EVENT: &str = "firebell_delivery";

/// Slack's page size for history: its maximum is 999; 200 keeps each page quick.
const PAGE: &str = "200";

/// Where a message goes.
#[derive(Clone, Copy, Debug)]
pub enum Destination<'a> {
    /// The channel itself.
    Channel(&'a ChannelId),
    /// A reply in the thread under `ts`; `broadcast` also shows it in the channel.
    Thread { channel: &'a ChannelId, ts: &'a str, broadcast: bool },
    /// A direct message (Slack opens the conversation from the user id).
    Person(&'a UserId),
}

impl Destination<'_> {
    fn channel(&self) -> &str {
        match self {
            Destination::Channel(channel) | Destination::Thread { channel, .. } => channel.as_str(),
            Destination::Person(user) => user.as_str(),
        }
    }

    fn thread(&self) -> Option<&str> {
        match self {
            Destination::Thread { ts, .. } => Some(ts),
            Destination::Channel(_) | Destination::Person(_) => None,
        }
    }

    /// The channel and thread, as delivery keys name them.
    fn place(&self) -> String {
        format!("{}/{}", self.channel(), self.thread().unwrap_or_default())
    }
}

/// A message to post or to edit into place.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// The notification and fallback text (the whole message when there are no blocks).
    pub text: String,
    /// Block Kit blocks, as `render` makes them.
    pub blocks: Option<Value>,
    /// `Some(false)` keeps Slack from unfurling links (notices and announcements).
    pub unfurl_links: Option<bool>,
}

impl Message {
    /// A plain-text (mrkdwn) message.
    pub fn text(text: impl Into<String>) -> Message {
        Message { text: text.into(), blocks: None, unfurl_links: None }
    }

    /// The same message without link previews.
    pub fn without_unfurls(self) -> Message {
        Message { unfurl_links: Some(false), ..self }
    }
}

impl Message {
    /// The message as a drill's: `[DRILL]` text and a leading banner block (see
    /// `render::drill`).
    fn marked(&self, mark: &crate::render::drill::DrillMark) -> Message {
        Message { text: mark.text(&self.text), blocks: self.blocks.as_ref().map(|b| mark.blocks(b)), ..self.clone() }
    }
}

impl From<crate::render::SlackMessage> for Message {
    fn from(message: crate::render::SlackMessage) -> Message {
        Message { text: message.text, blocks: Some(message.blocks), unfurl_links: None }
    }
}

/// A posted message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Posted {
    /// Its timestamp: its id within the channel.
    pub ts: String,
    /// The conversation it is in: for a direct message by user id, the one Slack opened
    /// (`D…`), which editing it needs.
    pub channel: String,
}

/// A message as `conversations.history` / `conversations.replies` list it. Read field by
/// field, leniently: another app's message with fields of unexpected types (its metadata, say)
/// must not make a page unreadable — a retry's look-up would then fail, and the post with it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HistoryMessage {
    pub ts: Option<String>,
    pub user: Option<String>,
    pub text: Option<String>,
    pub thread_ts: Option<String>,
    pub subtype: Option<String>,
    pub bot_id: Option<String>,
    /// How many files it carries.
    pub file_count: i64,
    pub reply_count: u64,
    /// firebell's delivery key, when firebell posted it for an outbox job.
    delivery_key: Option<String>,
}

impl HistoryMessage {
    fn read(message: &Value) -> HistoryMessage {
        let text = |key: &str| message[key].as_str().map(str::to_owned);
        let metadata = &message["metadata"];
        let delivery_key = (metadata["event_type"] == DELIVERY_EVENT)
            .then(|| metadata["event_payload"]["key"].as_str().map(str::to_owned))
            .flatten();
        HistoryMessage {
            ts: text("ts"),
            user: text("user"),
            text: text("text"),
            thread_ts: text("thread_ts"),
            subtype: text("subtype"),
            bot_id: text("bot_id"),
            file_count: message["files"].as_array().map_or(0, |f| i64::try_from(f.len()).unwrap_or(i64::MAX)),
            reply_count: message["reply_count"].as_u64().unwrap_or(0),
            delivery_key,
        }
    }

    /// The thread it replies in, when it is a reply (not the thread's parent).
    pub fn reply_in(&self) -> Option<&str> {
        self.thread_ts.as_deref().filter(|thread| Some(*thread) != self.ts.as_deref())
    }
}

/// One page of history.
#[derive(Clone, Debug, Default)]
pub struct HistoryPage {
    pub messages: Vec<HistoryMessage>,
    /// Where the next page starts; `None` on the last.
    pub next_cursor: Option<String>,
}

/// Reads an answer into its typed shape. An answer that does not fit is refused for good
/// (retrying would get the same) under one fixed code, `unreadable_answer`, so that no
/// caller mistakes it for a Slack error code (the details are logged here).
pub(super) fn read<T: serde::de::DeserializeOwned>(method: &str, answer: Value) -> Result<T, SlackCallError> {
    serde_json::from_value(answer).map_err(|error| {
        tracing::warn!(slack.method = method, %error, "Slack answered in a shape firebell cannot read");
        SlackCallError::Refused(UNREADABLE_ANSWER.to_owned())
    })
}

/// The code of an answer firebell cannot read.
pub const UNREADABLE_ANSWER: &str = "unreadable_answer";

fn history_page(answer: &Value) -> HistoryPage {
    let messages =
        answer["messages"].as_array().map_or_else(Vec::new, |m| m.iter().map(HistoryMessage::read).collect());
    let next_cursor = answer["response_metadata"]["next_cursor"].as_str().filter(|c| !c.is_empty()).map(str::to_owned);
    HistoryPage { messages, next_cursor }
}

impl SlackApi {
    /// `chat.postMessage`, once per outbox job as far as Slack can tell us: the post carries a
    /// delivery key in its metadata, and a retry first looks for a message with that key —
    /// what a crash right after Slack accepted the post leaves behind — among the channel's
    /// last 50 messages or the thread's first 200 replies. Older than that, or in a DM by user
    /// id, the look-up cannot see it. Nothing is posted once the job's lease is lost, or while
    /// it is not known to hold a second longer ([`Delivery::held_until`]).
    pub async fn post_message(
        &self,
        to: Destination<'_>,
        message: &Message,
        delivery: &Delivery,
    ) -> Result<Posted, SlackCallError> {
        // The channel's pace first: a wait here must not eat into the lease checked below.
        self.pace("chat.postMessage", Some(to.channel())).await?;
        if !delivery.may_post(chrono::Utc::now()) {
            // Another worker holds the job now, or soon may: it makes this post itself, once.
            return Err(SlackCallError::Transient("the job's lease is lost or about to run out".to_owned()));
        }
        let place = to.place();
        let key = delivery.next_key(&place);
        if delivery.is_retry()
            && let Some(posted) = self.find_delivered(to, &key).await?
        {
            tracing::info!(slack.delivery = key, "found the message an earlier attempt posted; not posting it again");
            delivery.landed(&place);
            return Ok(posted);
        }
        let marked = self.drill_mark().map(|mark| message.marked(mark));
        let message = marked.as_ref().unwrap_or(message);
        let mut body = json!({"channel": to.channel(), "text": message.text});
        if let Some(blocks) = &message.blocks {
            body["blocks"] = blocks.clone();
        }
        if let Destination::Thread { ts, broadcast, .. } = to {
            body["thread_ts"] = json!(ts);
            body["reply_broadcast"] = json!(broadcast);
        }
        if let Some(unfurl) = message.unfurl_links {
            body["unfurl_links"] = json!(unfurl);
        }
        body["metadata"] = json!({"event_type": DELIVERY_EVENT, "event_payload": {"key": key}});
        let answer = match self.raw_post("chat.postMessage", &body).await {
            Ok(answer) => answer,
            Err(SlackCallError::RateLimited { retry_after }) => {
                self.channel_held(to.channel(), retry_after);
                return Err(SlackCallError::RateLimited { retry_after });
            }
            Err(other) => return Err(other),
        };
        delivery.landed(&place);
        posted(answer)
    }

    /// The message an earlier attempt posted with `key`, from the channel's recent history (or
    /// the thread's replies). `None` when there is none. A look-up Slack refuses is not "not
    /// posted": in a public channel the bot is not in (an earlier attempt may have posted
    /// there with `chat:write.public`), the bot joins and looks again; any other refusal is
    /// the post's own refusal, since the post would be refused the same way. A DM by user id
    /// cannot be looked up at all and is posted again. A look-up that fails for now (an
    /// outage, a rate limit, a rejected token) is the attempt's error, so the job is retried
    /// rather than posting what may already be there.
    async fn find_delivered(&self, to: Destination<'_>, key: &str) -> Result<Option<Posted>, SlackCallError> {
        if matches!(to, Destination::Person(_)) {
            return Ok(None);
        }
        match self.look_for(to, key).await {
            Err(SlackCallError::Refused(code)) if code == "not_in_channel" => {
                let channel = ChannelId::parse(to.channel())
                    .ok_or_else(|| SlackCallError::Refused(format!("{} is not a channel", to.channel())))?;
                match self.join(&channel).await {
                    Ok(()) => self.look_for(to, key).await,
                    Err(SlackCallError::Refused(_)) => Err(SlackCallError::Refused(code)),
                    Err(other) => Err(other),
                }
            }
            other => other,
        }
    }

    /// One look for the message carrying `key` where `to` points.
    async fn look_for(&self, to: Destination<'_>, key: &str) -> Result<Option<Posted>, SlackCallError> {
        let channel = to.channel().to_owned();
        let answer = match to.thread() {
            Some(thread) => {
                let params = [
                    ("channel", channel),
                    ("ts", thread.to_owned()),
                    ("limit", "200".to_owned()),
                    ("include_all_metadata", "true".to_owned()),
                ];
                self.raw_get("conversations.replies", &params).await?
            }
            None => {
                let params =
                    [("channel", channel), ("limit", "50".to_owned()), ("include_all_metadata", "true".to_owned())];
                self.raw_get("conversations.history", &params).await?
            }
        };
        let found = history_page(&answer).messages.into_iter().find(|m| m.delivery_key.as_deref() == Some(key));
        Ok(found.and_then(|m| m.ts).map(|ts| Posted { ts, channel: to.channel().to_owned() }))
    }

    /// `chat.update`: edits a message into its current shape. Safe to repeat.
    pub async fn update_message(&self, channel: &ChannelId, ts: &str, message: &Message) -> Result<(), SlackCallError> {
        let marked = self.drill_mark().map(|mark| message.marked(mark));
        let message = marked.as_ref().unwrap_or(message);
        let mut body = json!({"channel": channel.as_str(), "ts": ts, "text": message.text});
        if let Some(blocks) = &message.blocks {
            body["blocks"] = blocks.clone();
        }
        self.raw_post("chat.update", &body).await?;
        Ok(())
    }

    /// `chat.postEphemeral`: a message only `user` sees. At least once: Slack keeps no record
    /// of it to look up, and a second copy is seen by the one person it is for.
    pub async fn post_ephemeral(&self, channel: &ChannelId, user: &UserId, text: &str) -> Result<(), SlackCallError> {
        let text = self.outgoing_text(text);
        let body = json!({"channel": channel.as_str(), "user": user.as_str(), "text": text});
        self.raw_post("chat.postEphemeral", &body).await?;
        Ok(())
    }

    /// `chat.getPermalink`: the link to a message.
    pub async fn permalink(&self, channel: &ChannelId, ts: &str) -> Result<String, SlackCallError> {
        let request =
            SlackApiChatGetPermalinkRequest::new(SlackChannelId(channel.as_str().to_owned()), SlackTs(ts.to_owned()));
        let answer = self.call("chat.getPermalink", async |session| session.chat_get_permalink(&request).await).await?;
        Ok(answer.permalink.to_string())
    }

    /// One page of a channel's history, newest first; with `oldest`, only the messages after
    /// that ts (Slack's `oldest` is exclusive). Every page of one reading passes the same
    /// `oldest`.
    pub async fn history(
        &self,
        channel: &ChannelId,
        cursor: Option<&str>,
        oldest: Option<&str>,
    ) -> Result<HistoryPage, SlackCallError> {
        let mut params = vec![("channel", channel.to_string()), ("limit", PAGE.to_owned())];
        params.extend(cursor.map(|c| ("cursor", c.to_owned())));
        params.extend(oldest.map(|ts| ("oldest", ts.to_owned())));
        Ok(history_page(&self.raw_get("conversations.history", &params).await?))
    }

    /// One page of a thread: its parent first, then the replies.
    pub async fn replies(
        &self,
        channel: &ChannelId,
        thread_ts: &str,
        cursor: Option<&str>,
    ) -> Result<HistoryPage, SlackCallError> {
        let mut params =
            vec![("channel", channel.to_string()), ("ts", thread_ts.to_owned()), ("limit", PAGE.to_owned())];
        params.extend(cursor.map(|c| ("cursor", c.to_owned())));
        Ok(history_page(&self.raw_get("conversations.replies", &params).await?))
    }

    /// The message at `ts`, top-level or a reply; `None` when it no longer exists.
    pub async fn message(&self, channel: &ChannelId, ts: &str) -> Result<Option<HistoryMessage>, SlackCallError> {
        let window = [
            ("channel", channel.to_string()),
            ("latest", ts.to_owned()),
            ("oldest", ts.to_owned()),
            ("inclusive", "true".to_owned()),
            ("limit", "1".to_owned()),
        ];
        let at = |page: HistoryPage| page.messages.into_iter().find(|m| m.ts.as_deref() == Some(ts));
        if let Some(found) = at(history_page(&self.raw_get("conversations.history", &window).await?)) {
            return Ok(Some(found));
        }
        // Not a top-level message: a reply, found through its thread.
        let thread = [("channel", channel.to_string()), ("ts", ts.to_owned())];
        match self.raw_get("conversations.replies", &thread).await {
            Ok(answer) => Ok(at(history_page(&answer))),
            Err(SlackCallError::Refused(code)) if code == "thread_not_found" => Ok(None),
            Err(other) => Err(other),
        }
    }
}

fn posted(answer: Value) -> Result<Posted, SlackCallError> {
    #[derive(Deserialize)]
    struct Answer {
        ts: String,
        #[serde(default)]
        channel: String,
    }
    let answer: Answer = read("chat.postMessage", answer)?;
    Ok(Posted { ts: answer.ts, channel: answer.channel })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_apps_odd_message_does_not_hide_our_delivery_on_the_page() {
        let page = history_page(&json!({"messages": [
            {"ts": "3.0", "text": 7, "files": "none", "reply_count": "many",
             "metadata": {"event_type": "their_event", "event_payload": {"key": 5}}},
            {"ts": "2.0", "metadata": {"event_type": DELIVERY_EVENT, "event_payload": {"key": ["not", "a", "key"]}}},
            {"ts": "1.0", "text": "notice", "metadata": {"event_type": DELIVERY_EVENT, "event_payload": {"key": "9:C1/:1"}}}
        ], "response_metadata": {"next_cursor": ""}}));
        let keys: Vec<Option<&str>> = page.messages.iter().map(|m| m.delivery_key.as_deref()).collect();
        assert_eq!(keys, [None, None, Some("9:C1/:1")]);
        assert_eq!(
            (page.messages[0].text.as_deref(), page.messages[0].file_count, page.messages[0].reply_count),
            (None, 0, 0)
        );
        assert_eq!(page.next_cursor, None);
    }

    #[test]
    fn a_reply_names_its_thread_and_a_parent_does_not() {
        let page = history_page(&json!({"messages": [
            {"ts": "1.0", "thread_ts": "1.0", "reply_count": 2, "files": [{}, {}]},
            {"ts": "1.5", "thread_ts": "1.0"}
        ], "response_metadata": {"next_cursor": "next"}}));
        assert_eq!(page.messages[0].reply_in(), None);
        assert_eq!((page.messages[0].reply_count, page.messages[0].file_count), (2, 2));
        assert_eq!(page.messages[1].reply_in(), Some("1.0"));
        assert_eq!(page.next_cursor.as_deref(), Some("next"));
    }

    #[test]
    fn an_answer_that_does_not_fit_is_refused_under_one_code_that_names_no_slack_error() {
        #[derive(Debug, Deserialize)]
        struct Answer {
            #[expect(dead_code, reason = "only its absence is tested")]
            canvas_id: String,
        }
        let refused = read::<Answer>("conversations.canvases.create", json!({"ok": true}));
        assert_eq!(refused.unwrap_err(), SlackCallError::Refused(UNREADABLE_ANSWER.to_owned()));
    }

    #[test]
    fn a_post_goes_to_its_channel_thread_or_person() {
        let channel = ChannelId::parse("C1").unwrap();
        let user = UserId::parse("U1").unwrap();
        assert_eq!(Destination::Channel(&channel).place(), "C1/");
        assert_eq!(Destination::Thread { channel: &channel, ts: "1.2", broadcast: true }.place(), "C1/1.2");
        assert_eq!(Destination::Person(&user).place(), "U1/");
    }
}
