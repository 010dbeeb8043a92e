//! How the stand-in reads requests and shapes answers: parameter readers that accept JSON
//! and form encodings alike, channel visibility rules, Block Kit limit checks, and the
//! JSON of channels, messages and history pages as Slack returns them.

use super::*;

pub(super) fn error(code: &str) -> Value {
    json!({ "error": code })
}

pub(super) fn fail(code: &str) -> Answer {
    Err(error(code))
}

/// A non-empty string (numbers and booleans as text).
pub(super) fn text(p: &Value, key: &str) -> Option<String> {
    match p.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(super) fn flag(p: &Value, key: &str) -> bool {
    matches!(text(p, key).as_deref(), Some("true" | "1"))
}

/// A JSON array or a comma-separated string.
pub(super) fn list(p: &Value, key: &str) -> Vec<String> {
    match p.get(key) {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => text(p, key)
            .map(|s| s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect())
            .unwrap_or_default(),
    }
}

/// A JSON value, or a string holding JSON as form posts send it.
pub(super) fn json_arg(p: &Value, key: &str) -> Result<Option<Value>, ()> {
    match p.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => serde_json::from_str(s).map(Some).map_err(|_| ()),
        Some(v) => Ok(Some(v.clone())),
    }
}

pub(super) fn limit(p: &Value) -> usize {
    text(p, "limit").and_then(|l| l.parse().ok()).filter(|&l: &usize| l > 0).unwrap_or(100).min(999)
}

pub(super) fn now_micros() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as u64)
}

/// `"1712345678.000123"` as a sortable pair.
pub(super) fn ts_key(ts: &str) -> Option<(u64, u64)> {
    let (secs, frac) = ts.split_once('.').unwrap_or((ts, "0"));
    let frac = format!("{frac:0<6}");
    Some((secs.parse().ok()?, frac.get(..6)?.parse().ok()?))
}

pub(super) fn dm_id(user: &str) -> String {
    format!("D{}", user.get(1..).unwrap_or_default())
}

pub(super) fn is_member(c: &Channel, user: &str) -> bool {
    c.members.iter().any(|m| m == user)
}

/// A channel the bot can see: private ones only when it is a member.
pub(super) fn visible(channels: &mut BTreeMap<String, Channel>, id: Option<String>) -> Result<&mut Channel, Value> {
    match id.and_then(|id| channels.get_mut(&id)) {
        Some(c) if !c.is_private || is_member(c, BOT_USER_ID) => Ok(c),
        _ => Err(error("channel_not_found")),
    }
}

/// A channel the bot may change: visible, not archived, bot a member.
pub(super) fn writable(channels: &mut BTreeMap<String, Channel>, id: Option<String>) -> Result<&mut Channel, Value> {
    let c = visible(channels, id)?;
    if c.archived {
        return Err(error("is_archived"));
    }
    if !is_member(c, BOT_USER_ID) {
        return Err(error("not_in_channel"));
    }
    Ok(c)
}

/// Checks the Block Kit limits Slack enforces; `Null` means no blocks.
pub(super) fn check_blocks(blocks: &Value, max: usize) -> Result<(), Value> {
    let invalid = |why: String| Err(json!({"error": "invalid_blocks", "errors": [why]}));
    let list = match blocks {
        Value::Null => return Ok(()),
        Value::Array(list) => list,
        _ => return invalid("blocks must be an array".into()),
    };
    if list.len() > max {
        return invalid(format!("no more than {max} items allowed [json-pointer:/blocks]"));
    }
    let chars = |v: Option<&Value>| v.and_then(Value::as_str).map_or(0, |s| s.chars().count());
    for (i, block) in list.iter().enumerate() {
        let text_len = chars(block.pointer("/text/text"));
        let fields = block.get("fields").and_then(Value::as_array);
        let too_long = match block.get("type").and_then(Value::as_str) {
            None => Some("missing type"),
            Some("header") if text_len > 150 => Some("header text must be at most 150 characters"),
            Some("section") if text_len > 3000 => Some("section text must be at most 3000 characters"),
            Some("section") if fields.is_some_and(|f| f.len() > 10) => Some("at most 10 fields"),
            Some("section") if fields.is_some_and(|f| f.iter().any(|x| chars(x.get("text")) > 2000)) => {
                Some("field text must be at most 2000 characters")
            }
            _ if chars(block.get("block_id")) > 255 => Some("block_id must be at most 255 characters"),
            _ => None,
        };
        if let Some(why) = too_long {
            return invalid(format!("{why} [json-pointer:/blocks/{i}]"));
        }
        if let Some((at, why)) = element_problem(block) {
            return invalid(format!("{why} [json-pointer:/blocks/{i}{at}]"));
        }
    }
    Ok(())
}

/// Slack's limits on a block's interactive elements (Block Kit reference): at most 25 elements
/// in `actions`, 10 in `context`; a button's text at most 75 characters, its value 2,000, its
/// URL 3,000; every `action_id` at most 255.
fn element_problem(block: &Value) -> Option<(String, &'static str)> {
    let chars = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
    let elements = block.get("elements").and_then(Value::as_array);
    match block.get("type").and_then(Value::as_str) {
        Some("actions") if elements.is_some_and(|e| e.len() > 25) => {
            return Some((String::new(), "an actions block has at most 25 elements"));
        }
        Some("context") if elements.is_some_and(|e| e.len() > 10) => {
            return Some((String::new(), "a context block has at most 10 elements"));
        }
        _ => {}
    }
    let accessory = block.get("accessory").map(|a| ("/accessory".to_owned(), a));
    let listed = elements.into_iter().flatten().enumerate().map(|(n, e)| (format!("/elements/{n}"), e));
    for (at, element) in accessory.into_iter().chain(listed) {
        let problem = if chars(&element["action_id"]) > 255 {
            Some("action_id must be at most 255 characters")
        } else if element["type"] != "button" {
            None
        } else if chars(&element["text"]["text"]) > 75 {
            Some("a button's text must be at most 75 characters")
        } else if chars(&element["value"]) > 2000 {
            Some("a button's value must be at most 2000 characters")
        } else if chars(&element["url"]) > 3000 {
            Some("a button's url must be at most 3000 characters")
        } else {
            None
        };
        if let Some(why) = problem {
            return Some((at, why));
        }
    }
    None
}

pub(super) fn blocks_arg(p: &Value, max: usize) -> Result<Option<Value>, Value> {
    let blocks = json_arg(p, "blocks").map_err(|_| error("invalid_blocks_format"))?;
    check_blocks(blocks.as_ref().unwrap_or(&Value::Null), max)?;
    Ok(blocks)
}

impl State {
    pub(super) fn new_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}0FAKE{:05}", self.next_id)
    }

    /// A fresh ts, unique and increasing.
    pub(super) fn next_ts(&mut self) -> String {
        self.last_ts = now_micros().max(self.last_ts + 1);
        format!("{}.{:06}", self.last_ts / 1_000_000, self.last_ts % 1_000_000)
    }

    /// Stores a message under a fresh ts; a reply to a reply joins the root's thread.
    pub(super) fn post(&mut self, channel: &str, mut message: Message) -> String {
        message.ts = self.next_ts();
        let list = self.messages.entry(channel.to_string()).or_default();
        if let Some(parent) = &message.thread_ts {
            let root = list.iter().find(|m| &m.ts == parent).and_then(|m| m.thread_ts.clone());
            message.thread_ts = root.or(message.thread_ts);
        }
        let ts = message.ts.clone();
        list.push(message);
        ts
    }

    /// A channel id, a channel name (`#` optional) or a user id (their DM with the bot).
    pub(super) fn resolve(&mut self, target: Option<String>) -> Option<String> {
        let target = target?;
        if self.channels.contains_key(&target) {
            return Some(target);
        }
        let name = target.trim_start_matches('#');
        if let Some(c) = self.channels.values().find(|c| c.name == name && !c.is_im) {
            return Some(c.id.clone());
        }
        self.users.get(&target)?;
        let id = dm_id(&target);
        self.channels.entry(id.clone()).or_insert_with(|| Channel {
            id: id.clone(),
            is_im: true,
            members: vec![BOT_USER_ID.into(), target],
            ..Channel::default()
        });
        Some(id)
    }

    pub(super) fn message(&self, channel: &str, ts: Option<String>) -> Result<&Message, Value> {
        let ts = ts.ok_or_else(|| error("message_not_found"))?;
        let list = self.messages.get(channel).map(Vec::as_slice).unwrap_or_default();
        list.iter().find(|m| m.ts == ts).ok_or_else(|| error("message_not_found"))
    }

    pub(super) fn message_mut(&mut self, channel: &str, ts: Option<String>) -> Result<&mut Message, Value> {
        let ts = ts.ok_or_else(|| error("message_not_found"))?;
        let list = self.messages.get_mut(channel).ok_or_else(|| error("message_not_found"))?;
        list.iter_mut().find(|m| m.ts == ts).ok_or_else(|| error("message_not_found"))
    }

    pub(super) fn user_json(&self, id: &str, u: &User) -> Value {
        json!({
            "id": id, "team_id": self.team, "name": u.name, "real_name": u.name,
            "deleted": u.deleted, "is_bot": u.is_bot, "is_app_user": false,
            "is_admin": false, "is_owner": false, "is_restricted": false,
            "tz": "Etc/UTC", "tz_label": "Coordinated Universal Time", "tz_offset": 0,
            "profile": {
                "real_name": u.name, "display_name": u.name, "team": self.team,
                "real_name_normalized": u.name, "display_name_normalized": u.name,
            },
        })
    }
}

pub(super) fn channel_json(c: &Channel) -> Value {
    let detail = |value: &str| json!({"value": value, "creator": c.creator, "last_set": 0});
    let mut v = json!({
        "id": c.id, "created": c.created, "creator": c.creator,
        "is_channel": !c.is_im, "is_group": c.is_private, "is_im": c.is_im, "is_mpim": false,
        "is_private": c.is_private || c.is_im, "is_archived": c.archived, "is_general": false,
        "is_shared": false, "is_org_shared": false, "is_member": is_member(c, BOT_USER_ID),
        "num_members": c.members.len(),
    });
    if !c.is_im {
        v["name"] = json!(c.name);
        v["name_normalized"] = json!(c.name);
        v["topic"] = detail(&c.topic);
        v["purpose"] = detail(&c.purpose);
        v["previous_names"] = json!([]);
    }
    if let Some(canvas) = &c.canvas {
        v["properties"] = json!({"canvas": {"file_id": canvas, "is_empty": false}});
    }
    v
}

/// A message as history, replies and chat methods show it; `all` is its channel.
pub(super) fn message_json(m: &Message, all: &[Message], team: &str) -> Value {
    let mut v = json!({"type": "message", "ts": m.ts, "user": m.user, "text": m.text, "team": team});
    if m.blocks.as_array().is_some_and(|b| !b.is_empty()) {
        v["blocks"] = m.blocks.clone();
    }
    if m.user == BOT_USER_ID {
        v["bot_id"] = json!(BOT_ID);
        v["app_id"] = json!(APP_ID);
    }
    let replies: Vec<&Message> = all.iter().filter(|r| r.thread_ts.as_deref() == Some(m.ts.as_str())).collect();
    if let Some(root) = &m.thread_ts {
        v["thread_ts"] = json!(root);
        let parent = all.iter().find(|p| &p.ts == root);
        v["parent_user_id"] = json!(parent.map(|p| p.user.as_str()));
        if m.reply_broadcast {
            v["subtype"] = json!("thread_broadcast");
        }
    } else if let Some(last) = replies.last() {
        let mut users: Vec<&str> = Vec::new();
        for reply in &replies {
            if !users.contains(&reply.user.as_str()) {
                users.push(&reply.user);
            }
        }
        v["thread_ts"] = json!(m.ts);
        v["reply_count"] = json!(replies.len());
        v["reply_users_count"] = json!(users.len());
        v["reply_users"] = json!(users);
        v["latest_reply"] = json!(last.ts);
    }
    if m.edited {
        v["edited"] = json!({"user": m.user, "ts": m.ts});
    }
    if !m.reactions.is_empty() {
        let reactions = m.reactions.iter().map(|n| json!({"name": n, "count": 1, "users": [BOT_USER_ID]}));
        v["reactions"] = json!(reactions.collect::<Vec<_>>());
    }
    if !m.files.is_empty() {
        v["upload"] = json!(true);
        v["files"] = json!(m.files.iter().map(|id| json!({"id": id})).collect::<Vec<_>>());
    }
    v
}

/// One page of `items` from `cursor` on; `newest_first` orders history, not replies.
pub(super) fn page(items: &[&Message], all: &[Message], p: &Value, team: &str, newest_first: bool) -> Answer {
    let start = match text(p, "cursor") {
        None => 0,
        Some(cursor) => {
            let key = cursor.strip_prefix("next_ts:").and_then(ts_key).ok_or_else(|| error("invalid_cursor"))?;
            let reached = |m: &Message| {
                let k = ts_key(&m.ts);
                if newest_first { k <= Some(key) } else { k >= Some(key) }
            };
            items.iter().position(|m| reached(m)).unwrap_or(items.len())
        }
    };
    let end = (start + limit(p)).min(items.len());
    let with_metadata = flag(p, "include_all_metadata");
    let messages: Vec<Value> = items[start..end]
        .iter()
        .map(|m| {
            let mut shown = message_json(m, all, team);
            if with_metadata && !m.metadata.is_null() {
                shown["metadata"] = m.metadata.clone();
            }
            shown
        })
        .collect();
    let mut v = json!({"messages": messages, "has_more": end < items.len()});
    if let Some(next) = items.get(end) {
        v["response_metadata"] = json!({"next_cursor": format!("next_ts:{}", next.ts)});
    }
    Ok(v)
}
