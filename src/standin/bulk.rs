//! Seeding in bulk: a workspace of tens of thousands of channels, a channel with thousands of
//! messages and hundreds of threads, each in one lock of the stand-in's state — fast enough that
//! a test's time goes to what firebell does, not to the setup.

use super::wire::is_member;
use super::{BOT_USER_ID, HISTORY_AUTHOR, Message, SlackStandIn, seeded_channel};

impl SlackStandIn {
    /// Seeds `count` public channels made by someone else, with the bot in none of them (ids
    /// `C0BULK000001`…, names `bulk-000001`…): the rest of a large workspace, which
    /// `conversations.list` pages through and `users.conversations` does not.
    pub fn add_foreign_channels(&self, count: usize) {
        let mut st = self.lock();
        for n in 1..=count {
            let id = format!("C0BULK{n:06}");
            let mut channel = seeded_channel(&id, &format!("bulk-{n:06}"), false);
            channel.members.clear();
            st.channels.insert(id, channel);
        }
    }

    /// Seeds `count` public channels made by someone else with the bot in each (ids
    /// `C0BOTIN000001`…, names `team-room-000001`…): a bot invited to many rooms, whose own
    /// channels `users.conversations` has to page to.
    pub fn add_member_channels(&self, count: usize) {
        let mut st = self.lock();
        for n in 1..=count {
            let id = format!("C0BOTIN{n:06}");
            st.channels.insert(id.clone(), seeded_channel(&id, &format!("team-room-{n:06}"), false));
        }
    }

    /// Seeds a public channel the bot created, with the bot its only member: what a crash
    /// right after Slack acted on `conversations.create` leaves behind.
    pub fn add_own_channel(&self, id: &str, name: &str) {
        let mut channel = seeded_channel(id, name, false);
        channel.creator = BOT_USER_ID.to_owned();
        self.lock().channels.insert(id.to_owned(), channel);
    }

    /// Adds `messages` top-level messages by [`HISTORY_AUTHOR`] to `channel` (which must
    /// exist), `threads` of them (spread evenly, the oldest first) with `replies_per_thread`
    /// replies each; the replies come after every top-level message. Returns every new ts,
    /// oldest first. The author is added to the channel.
    pub fn add_history(
        &self,
        channel: &str,
        messages: usize,
        threads: usize,
        replies_per_thread: usize,
    ) -> Vec<String> {
        let mut st = self.lock();
        if let Some(c) = st.channels.get_mut(channel)
            && !is_member(c, HISTORY_AUTHOR)
        {
            c.members.push(HISTORY_AUTHOR.to_owned());
        }
        let mut added = Vec::with_capacity(messages + threads * replies_per_thread);
        let spacing = messages.checked_div(threads).unwrap_or(usize::MAX).max(1);
        let mut parents = Vec::with_capacity(threads);
        for n in 0..messages {
            let ts = st.next_ts();
            if n % spacing == 0 && parents.len() < threads {
                parents.push(ts.clone());
            }
            added.push(authored(ts, format!("history message {n:05}"), None));
        }
        for (t, parent) in parents.iter().enumerate() {
            for r in 0..replies_per_thread {
                let ts = st.next_ts();
                added.push(authored(ts, format!("reply {r} in thread {t:04}"), Some(parent.clone())));
            }
        }
        let stamps = added.iter().map(|m| m.ts.clone()).collect();
        st.messages.entry(channel.to_owned()).or_default().extend(added);
        stamps
    }
}

fn authored(ts: String, text: String, thread_ts: Option<String>) -> Message {
    Message { ts, thread_ts, user: HISTORY_AUTHOR.to_owned(), text, ..Message::default() }
}
