//! What the demo page shows one person: the workspace as they see it, in the shape
//! `docs/demo-api.md` fixes. Read from the stand-in on each poll; nothing is cached.

use serde_json::{Map, Value, json};

use super::workspace::{self, PEOPLE};
use crate::standin::{BOT_USER_ID, Channel, Message, SlackStandIn};

/// The state of the page for `me` looking at `channel` (the first channel when unknown).
pub fn state(slack: &SlackStandIn, me: &str, channel: Option<&str>, korean: bool) -> Value {
    let channels: Vec<Channel> = slack.channels().into_iter().filter(|c| visible_to(c, me)).collect();
    let mut names = Map::new();
    for (id, name) in slack.people() {
        names.insert(id, json!(name));
    }
    for c in slack.channels() {
        names.insert(c.id.clone(), json!(display_name(&c)));
    }
    let shown = channel
        .and_then(|wanted| channels.iter().find(|c| c.id == wanted || c.name == wanted.trim_start_matches('#')))
        .or_else(|| channels.iter().find(|c| c.id == workspace::GENERAL))
        .or(channels.first());
    let list: Vec<Value> = channels.iter().map(|c| channel_entry(c, slack, me)).collect();
    let people: Vec<Value> = PEOPLE
        .iter()
        .map(|p| json!({"id": p.id, "name": p.name, "title": if korean { p.title_ko } else { p.title }}))
        .collect();
    let ephemeral: Vec<Value> = shown
        .map(|c| slack.ephemerals_for(me, &c.id))
        .unwrap_or_default()
        .into_iter()
        .map(|e| json!({"id": e.id, "channel": e.channel, "text": e.text, "blocks": e.blocks, "at": e.at / 1_000_000}))
        .collect();
    let view = slack.open_view_for(me).map(|view| json!({"id": view["id"], "view": view}));
    json!({
        "ok": true,
        "me": me,
        "people": people,
        "names": names,
        "channels": list,
        "channel": shown.map(|c| channel_detail(c, slack, me)),
        "ephemeral": ephemeral,
        "view": view,
    })
}

/// Public channels, private ones `me` is in, and `me`'s DM with the bot.
fn visible_to(c: &Channel, me: &str) -> bool {
    if c.is_im {
        return c.members.iter().any(|m| m == me);
    }
    !c.is_private || c.members.iter().any(|m| m == me)
}

/// A channel's name; a DM (only ever `me`'s with the bot here) is named after the bot, as
/// Slack's sidebar names a DM after the other side.
fn display_name(c: &Channel) -> String {
    if c.is_im { "firebell".to_owned() } else { c.name.clone() }
}

fn channel_entry(c: &Channel, slack: &SlackStandIn, me: &str) -> Value {
    json!({
        "id": c.id, "name": display_name(c), "is_private": c.is_private, "is_im": c.is_im,
        "is_member": c.members.iter().any(|m| m == me), "is_incident": c.creator == BOT_USER_ID && !c.is_im,
        "archived": c.archived, "messages": slack.messages(&c.id).iter().filter(|m| m.thread_ts.is_none()).count(),
    })
}

fn channel_detail(c: &Channel, slack: &SlackStandIn, me: &str) -> Value {
    let all = slack.messages(&c.id);
    let names: Vec<(String, String)> = slack.people();
    let message = |m: &Message| message_json(m, c, &names, me);
    let messages: Vec<Value> = all
        .iter()
        .filter(|m| m.thread_ts.is_none())
        .map(|m| {
            let mut shown = message(m);
            let replies: Vec<Value> =
                all.iter().filter(|r| r.thread_ts.as_deref() == Some(m.ts.as_str())).map(message).collect();
            shown["replies"] = json!(replies);
            shown
        })
        .collect();
    let bookmarks: Vec<Value> =
        c.bookmarks.iter().map(|b| json!({"title": b.title, "link": b.link, "emoji": b.emoji})).collect();
    json!({
        "id": c.id, "name": display_name(c), "topic": c.topic, "purpose": c.purpose,
        "is_private": c.is_private, "is_im": c.is_im, "archived": c.archived, "bookmarks": bookmarks,
        "messages": messages,
    })
}

fn message_json(m: &Message, c: &Channel, names: &[(String, String)], me: &str) -> Value {
    let name = names.iter().find(|(id, _)| *id == m.user).map_or(m.user.as_str(), |(_, n)| n.as_str());
    // The bot's own reactions count like a person's.
    let mut reactions: Vec<(String, Vec<&str>)> = Vec::new();
    let by = m
        .reactions
        .iter()
        .map(|r| (r.as_str(), BOT_USER_ID))
        .chain(m.reacted.iter().map(|(r, u)| (r.as_str(), u.as_str())));
    for (reaction, user) in by {
        match reactions.iter_mut().find(|(r, _)| r == reaction) {
            Some((_, users)) => users.push(user),
            None => reactions.push((reaction.to_owned(), vec![user])),
        }
    }
    let reactions: Vec<Value> = reactions
        .into_iter()
        .map(|(name, users)| json!({"name": name, "count": users.len(), "mine": users.contains(&me)}))
        .collect();
    json!({
        "ts": m.ts, "user": m.user, "name": name, "bot": m.user == BOT_USER_ID, "text": m.text,
        "blocks": m.blocks, "edited": m.edited, "pinned": c.pins.contains(&m.ts), "reactions": reactions,
        "thread_ts": m.thread_ts,
    })
}
