//! What people do and see in the stand-in, beyond the bot's Web API: the `trigger_id` and
//! `response_url` Slack hands out with each command or click (so a modal opens for the
//! person who clicked, and a reply reaches the person who typed), the ephemeral messages only
//! one person sees, reactions people add, and the views open for each person. `firebell demo`
//! acts through these; the tests may too.

use serde_json::Value;

use super::wire::now_micros;
use super::{SlackStandIn, State};

/// A message only one person sees in one channel (`chat.postEphemeral`, or a reply to their
/// command through its `response_url`).
#[derive(Clone, Debug, Default)]
pub struct Ephemeral {
    /// Unique in the workspace (`E…`).
    pub id: String,
    pub channel: String,
    pub user: String,
    pub text: String,
    /// The blocks as sent, `Value::Null` when none.
    pub blocks: Value,
    /// Microseconds since the epoch, when it was shown.
    pub at: u64,
}

/// Who a `response_url` answers, and the ephemeral it last showed (replaced by
/// `replace_original`).
#[derive(Clone, Debug)]
pub(super) struct Requester {
    user: String,
    channel: String,
    shown: Option<String>,
}

impl State {
    /// Shows an ephemeral; returns its id.
    pub(super) fn show_ephemeral(&mut self, channel: &str, user: &str, text: String, blocks: Value) -> String {
        let id = self.new_id("E");
        let shown =
            Ephemeral { id: id.clone(), channel: channel.into(), user: user.into(), text, blocks, at: now_micros() };
        self.ephemerals.push(shown);
        id
    }

    /// What a post to a person's `response_url` shows them: a new ephemeral, the one it
    /// replaces, or nothing when it deletes the original.
    pub(super) fn answer_requester(&mut self, id: &str, posted: &Value) {
        let Some(requester) = self.requesters.get(id).cloned() else { return };
        let text = posted["text"].as_str().unwrap_or_default().to_owned();
        let blocks = posted.get("blocks").cloned().unwrap_or(Value::Null);
        let replaced = requester.shown.as_deref().filter(|_| posted["replace_original"].as_bool() == Some(true));
        if posted["delete_original"].as_bool() == Some(true) {
            if let Some(id) = &requester.shown {
                self.ephemerals.retain(|e| &e.id != id);
            }
            return;
        }
        let shown = match replaced.and_then(|id| self.ephemerals.iter_mut().find(|e| e.id == id)) {
            Some(ephemeral) => {
                ephemeral.text = text;
                ephemeral.blocks = blocks;
                ephemeral.id.clone()
            }
            None => self.show_ephemeral(&requester.channel, &requester.user, text, blocks),
        };
        if let Some(requester) = self.requesters.get_mut(id) {
            requester.shown = Some(shown);
        }
    }
}

impl SlackStandIn {
    /// A fresh `trigger_id` for something `user` just did: a modal opened with it is theirs.
    pub fn trigger_for(&self, user: &str) -> String {
        let mut st = self.lock();
        let trigger = format!("{}.{}", now_micros(), st.new_id("T"));
        st.triggers.insert(trigger.clone(), user.to_owned());
        trigger
    }

    /// A fresh `response_url` whose posts show to `user` in `channel` as ephemerals.
    pub fn response_url_for(&self, user: &str, channel: &str) -> String {
        let mut st = self.lock();
        let id = st.new_id("R");
        let url = format!("{}/response/{id}", st.base);
        let requester = Requester { user: user.into(), channel: channel.into(), shown: None };
        st.requesters.insert(id, requester);
        url
    }

    /// Shows `user` an ephemeral in `channel` (e.g. the reply to their slash command).
    pub fn show_ephemeral(&self, channel: &str, user: &str, text: &str, blocks: Value) -> String {
        self.lock().show_ephemeral(channel, user, text.to_owned(), blocks)
    }

    /// What `user` alone sees in `channel`, oldest first.
    pub fn ephemerals_for(&self, user: &str, channel: &str) -> Vec<Ephemeral> {
        self.lock().ephemerals.iter().filter(|e| e.user == user && e.channel == channel).cloned().collect()
    }

    /// One ephemeral by id.
    pub fn ephemeral(&self, id: &str) -> Option<Ephemeral> {
        self.lock().ephemerals.iter().find(|e| e.id == id).cloned()
    }

    /// The modal on top of `user`'s screen, if any: the newest of the views opened with one of
    /// their triggers (or pushed on one) that is still open.
    pub fn open_view_for(&self, user: &str) -> Option<Value> {
        let st = self.lock();
        st.view_stack.iter().rev().find(|(_, owner)| owner == user).and_then(|(id, _)| st.views.get(id)).cloned()
    }

    /// Closes a view (the person pressed Cancel, or submitted and the app cleared it).
    pub fn close_view(&self, id: &str) {
        self.lock().view_stack.retain(|(open, _)| open != id);
    }

    /// Every view `user` has open, newest last (a pushed view sits on top of its parent).
    pub fn views_open_for(&self, user: &str) -> Vec<String> {
        self.lock().view_stack.iter().filter(|(_, owner)| owner == user).map(|(id, _)| id.clone()).collect()
    }

    /// `user` adds the reaction `name` to a message, or takes it back when it is there
    /// already; `Some(true)` added, `Some(false)` removed, `None` when there is no such message.
    pub fn toggle_reaction(&self, channel: &str, ts: &str, user: &str, name: &str) -> Option<bool> {
        let mut st = self.lock();
        let message = st.messages.get_mut(channel)?.iter_mut().find(|m| m.ts == ts)?;
        let reaction = (name.to_owned(), user.to_owned());
        if let Some(at) = message.reacted.iter().position(|r| *r == reaction) {
            message.reacted.remove(at);
            Some(false)
        } else {
            message.reacted.push(reaction);
            Some(true)
        }
    }

    /// Every channel, by id (DMs included).
    pub fn channels(&self) -> Vec<super::Channel> {
        self.lock().channels.values().cloned().collect()
    }

    /// Every user's id and name, the bot included.
    pub fn people(&self) -> Vec<(String, String)> {
        self.lock().users.iter().map(|(id, u)| (id.clone(), u.name.clone())).collect()
    }

    /// Sets a channel's topic as a person would.
    pub fn set_topic(&self, channel: &str, topic: &str) {
        if let Some(c) = self.lock().channels.get_mut(channel) {
            c.topic = topic.to_owned();
        }
    }
}
