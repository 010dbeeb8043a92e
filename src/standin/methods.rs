//! The Web API methods the stand-in implements, one function each, and the table that
//! routes a method name to its function after the token check.

use super::wire::*;
use super::*;

type Method = fn(&mut State, &Value) -> Answer;

pub(super) fn dispatch(st: &mut State, method: &str, token: Option<&str>, p: &Value) -> Answer {
    if method == "apps.connections.open" {
        return apps_connections_open(st, token);
    }
    let handler: Method = match method {
        "auth.test" => auth_test,
        "conversations.create" => conversations_create,
        "conversations.invite" => conversations_invite,
        "conversations.join" => conversations_join,
        "conversations.info" => conversations_info,
        "conversations.list" => |st, p| list_conversations(st, p, false),
        "conversations.setTopic" => |st, p| set_detail(st, p, "topic"),
        "conversations.setPurpose" => |st, p| set_detail(st, p, "purpose"),
        "conversations.history" => conversations_history,
        "conversations.replies" => conversations_replies,
        "conversations.archive" => conversations_archive,
        "chat.postMessage" => chat_post_message,
        "chat.update" => chat_update,
        "chat.postEphemeral" => chat_post_ephemeral,
        "chat.getPermalink" => chat_get_permalink,
        "pins.add" => pins_add,
        "bookmarks.add" => bookmarks_add,
        "reactions.add" => reactions_add,
        "users.info" => users_info,
        "users.conversations" => |st, p| list_conversations(st, p, true),
        "views.open" | "views.push" => views_open,
        "views.update" => views_update,
        "files.getUploadURLExternal" => files_get_upload_url,
        "files.completeUploadExternal" => files_complete_upload,
        "canvases.create" => canvases_create,
        "canvases.edit" => canvases_edit,
        "conversations.canvases.create" => conversations_canvases_create,
        "canvases.access.set" => canvases_access_set,
        _ => return fail("unknown_method"),
    };
    if st.revoked {
        return fail("token_revoked");
    }
    if token != Some(st.token.as_str()) {
        return fail("invalid_auth");
    }
    st.check_scopes(method, p)?;
    handler(st, p)
}

/// Whether a successful call of `method` changes what people see (not a read).
pub(super) fn changes_workspace(method: &str) -> bool {
    !matches!(
        method,
        "auth.test"
            | "apps.connections.open"
            | "conversations.info"
            | "conversations.list"
            | "conversations.history"
            | "conversations.replies"
            | "users.info"
            | "users.conversations"
            | "chat.getPermalink"
    )
}

/// Socket Mode: only the app-level token opens connections; a bot token is the wrong type.
fn apps_connections_open(st: &mut State, token: Option<&str>) -> Answer {
    if token == Some(st.token.as_str()) {
        return fail("not_allowed_token_type");
    }
    if token != Some(st.app_token.as_str()) {
        return fail("invalid_auth");
    }
    st.next_id += 1;
    Ok(json!({ "url": format!("{}/link/?ticket={}&app_id={APP_ID}", st.socket_base, st.next_id) }))
}

fn auth_test(st: &mut State, _: &Value) -> Answer {
    Ok(json!({
        "url": format!("{WORKSPACE_URL}/"), "team": "Firebell Test", "user": "firebell",
        "team_id": st.team, "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": false,
    }))
}

fn conversations_create(st: &mut State, p: &Value) -> Answer {
    let name = text(p, "name").unwrap_or_default();
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
    if name.is_empty() {
        return fail("invalid_name_required");
    } else if name.chars().count() > 80 {
        return fail("invalid_name_maxlength");
    } else if !name.chars().all(allowed) {
        return fail("invalid_name_specials");
    } else if name.chars().all(|c| c == '-' || c == '_') {
        return fail("invalid_name_punctuation");
    } else if st.channels.values().any(|c| c.name == name) {
        return fail("name_taken");
    }
    let is_private = flag(p, "is_private");
    let id = st.new_id(if is_private { "G" } else { "C" });
    let channel = Channel {
        id: id.clone(),
        name,
        is_private,
        members: vec![BOT_USER_ID.into()],
        creator: BOT_USER_ID.into(),
        created: now_micros() / 1_000_000,
        ..Channel::default()
    };
    let v = json!({"channel": channel_json(&channel)});
    st.channels.insert(id, channel);
    Ok(v)
}

fn conversations_invite(st: &mut State, p: &Value) -> Answer {
    let c = writable(&mut st.channels, text(p, "channel"))?;
    let mut users = list(p, "users");
    if users.is_empty() {
        return fail("no_user");
    }
    let mut seen = HashSet::new();
    users.retain(|u| seen.insert(u.clone()));
    let (mut invited, mut errors) = (Vec::new(), Vec::new());
    for user in users {
        let code = match st.users.get(&user) {
            _ if user == BOT_USER_ID => Some("cant_invite_self"),
            None => Some("user_not_found"),
            Some(u) if u.deleted => Some("cant_invite"),
            Some(_) if is_member(c, &user) => Some("already_in_channel"),
            Some(_) => None,
        };
        match code {
            Some(code) => errors.push(json!({"user": user, "ok": false, "error": code})),
            None => invited.push(user),
        }
    }
    if errors.is_empty() || flag(p, "force") {
        c.members.extend(invited);
    }
    match errors.first() {
        Some(first) => Err(json!({"error": first["error"], "errors": errors})),
        None => Ok(json!({"channel": channel_json(c)})),
    }
}

fn conversations_join(st: &mut State, p: &Value) -> Answer {
    let c = visible(&mut st.channels, text(p, "channel"))?;
    if c.is_im {
        return fail("method_not_supported_for_channel_type");
    } else if c.archived {
        return fail("is_archived");
    }
    let already = is_member(c, BOT_USER_ID);
    if !already {
        c.members.push(BOT_USER_ID.into());
    }
    let mut v = json!({"channel": channel_json(c)});
    if already {
        v["warning"] = json!("already_in_channel");
        v["response_metadata"] = json!({"warnings": ["already_in_channel"]});
    }
    Ok(v)
}

fn conversations_info(st: &mut State, p: &Value) -> Answer {
    let c = visible(&mut st.channels, text(p, "channel"))?;
    Ok(json!({"channel": channel_json(c)}))
}

fn set_detail(st: &mut State, p: &Value, which: &str) -> Answer {
    let c = writable(&mut st.channels, text(p, "channel"))?;
    let value = p.get(which).and_then(Value::as_str).unwrap_or_default().to_string();
    if value.chars().count() > 250 {
        return fail("too_long");
    }
    match which {
        "topic" => c.topic = value,
        _ => c.purpose = value,
    }
    Ok(json!({"channel": channel_json(c)}))
}

fn conversations_archive(st: &mut State, p: &Value) -> Answer {
    let c = visible(&mut st.channels, text(p, "channel"))?;
    if c.archived {
        return fail("already_archived");
    } else if !is_member(c, BOT_USER_ID) {
        return fail("not_in_channel");
    }
    c.archived = true;
    Ok(json!({}))
}

/// `conversations.list` (`members_only` false): the channels the bot can see, public ones
/// and private ones it is in. `users.conversations` (`members_only` true): only those the bot
/// is a member of. Both paged by cursor, up to `limit` (default 100, at most 1000) a page.
fn list_conversations(st: &mut State, p: &Value, members_only: bool) -> Answer {
    let types = text(p, "types").unwrap_or_else(|| "public_channel".to_owned());
    let exclude_archived = flag(p, "exclude_archived");
    let limit = text(p, "limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(100).clamp(1, 1000);
    let start =
        text(p, "cursor").and_then(|c| c.strip_prefix("offset:").and_then(|n| n.parse::<usize>().ok())).unwrap_or(0);
    let wanted = |c: &&Channel| {
        let kind_ok = if c.is_private {
            types.contains("private_channel") && is_member(c, BOT_USER_ID)
        } else {
            types.contains("public_channel")
        };
        let member_ok = !members_only || is_member(c, BOT_USER_ID);
        !c.is_im && kind_ok && member_ok && !(exclude_archived && c.archived)
    };
    let all: Vec<&Channel> = st.channels.values().filter(wanted).collect();
    let page: Vec<Value> = all.iter().skip(start).take(limit).map(|c| channel_json(c)).collect();
    let next = if start + limit < all.len() { format!("offset:{}", start + limit) } else { String::new() };
    Ok(json!({"channels": page, "response_metadata": {"next_cursor": next}}))
}

fn conversations_history(st: &mut State, p: &Value) -> Answer {
    let c = visible(&mut st.channels, text(p, "channel"))?;
    if !is_member(c, BOT_USER_ID) {
        return fail("not_in_channel");
    }
    let pin_count = c.pins.len();
    let all = st.messages.get(&c.id).map(Vec::as_slice).unwrap_or_default();
    let bound = |key: &str| text(p, key).and_then(|t| ts_key(&t));
    let (latest, oldest, inclusive) = (bound("latest"), bound("oldest"), flag(p, "inclusive"));
    let in_range = |m: &&Message| {
        let k = ts_key(&m.ts);
        let below = latest.is_none_or(|l| if inclusive { k <= Some(l) } else { k < Some(l) });
        let above = oldest.is_none_or(|o| if inclusive { k >= Some(o) } else { k > Some(o) });
        below && above
    };
    let top = |m: &&Message| m.thread_ts.is_none() || m.reply_broadcast;
    let mut items: Vec<&Message> = all.iter().filter(top).filter(in_range).collect();
    items.sort_by_key(|m| std::cmp::Reverse(ts_key(&m.ts)));
    let mut v = page(&items, all, p, &st.team, true)?;
    v["pin_count"] = json!(pin_count);
    Ok(v)
}

fn conversations_replies(st: &mut State, p: &Value) -> Answer {
    let c = visible(&mut st.channels, text(p, "channel"))?;
    if !is_member(c, BOT_USER_ID) {
        return fail("not_in_channel");
    }
    let id = c.id.clone();
    let parent = st.message(&id, text(p, "ts")).map_err(|_| error("thread_not_found"))?;
    let root = parent.thread_ts.clone().unwrap_or_else(|| parent.ts.clone());
    let all = st.messages.get(&id).map(Vec::as_slice).unwrap_or_default();
    let in_thread = |m: &&Message| m.ts == root || m.thread_ts.as_deref() == Some(root.as_str());
    let mut items: Vec<&Message> = all.iter().filter(in_thread).collect();
    items.sort_by_key(|m| ts_key(&m.ts));
    page(&items, all, p, &st.team, false)
}

fn chat_post_message(st: &mut State, p: &Value) -> Answer {
    let target = st.resolve(text(p, "channel"));
    let public_ok = st.chat_write_public;
    let c = visible(&mut st.channels, target)?;
    if c.archived {
        return fail("is_archived");
    } else if !is_member(c, BOT_USER_ID) && (c.is_private || !public_ok) {
        return fail("not_in_channel");
    }
    let id = c.id.clone();
    let blocks = blocks_arg(p, 50)?;
    let body = p.get("text").and_then(Value::as_str).unwrap_or_default();
    if body.is_empty() && blocks.is_none() && p.get("attachments").is_none() {
        return fail("no_text");
    }
    let message = Message {
        text: body.chars().take(40_000).collect(),
        user: BOT_USER_ID.into(),
        blocks: blocks.unwrap_or_default(),
        thread_ts: text(p, "thread_ts"),
        reply_broadcast: flag(p, "reply_broadcast"),
        metadata: p.get("metadata").cloned().unwrap_or(Value::Null),
        ..Message::default()
    };
    let ts = st.post(&id, message);
    let all = st.messages.get(&id).map(Vec::as_slice).unwrap_or_default();
    let stored = st.message(&id, Some(ts.clone()))?;
    Ok(json!({"channel": id, "ts": ts, "message": message_json(stored, all, &st.team)}))
}

fn chat_update(st: &mut State, p: &Value) -> Answer {
    let c = visible(&mut st.channels, text(p, "channel"))?;
    let id = c.id.clone();
    let blocks = blocks_arg(p, 50)?;
    let new_text = p.get("text").and_then(Value::as_str);
    if new_text.is_none() && blocks.is_none() && p.get("attachments").is_none() {
        return fail("no_text");
    }
    let m = st.message_mut(&id, text(p, "ts"))?;
    if m.user != BOT_USER_ID {
        return fail("cant_update_message");
    }
    if let Some(new_text) = new_text {
        m.text = new_text.chars().take(40_000).collect();
    }
    if let Some(blocks) = blocks {
        m.blocks = blocks;
    }
    m.edited = true;
    let m = m.clone();
    let shown = message_json(&m, &[], &st.team);
    let mut v = json!({"channel": id, "ts": m.ts, "text": m.text, "message": shown});
    if let Some(root) = &m.thread_ts {
        v["thread_ts"] = json!(root);
    }
    Ok(v)
}

fn chat_post_ephemeral(st: &mut State, p: &Value) -> Answer {
    let target = st.resolve(text(p, "channel"));
    let public_ok = st.chat_write_public;
    let c = visible(&mut st.channels, target)?;
    let user = text(p, "user").unwrap_or_default();
    if c.archived {
        return fail("is_archived");
    } else if !is_member(c, BOT_USER_ID) && (c.is_private || !public_ok) {
        return fail("not_in_channel");
    } else if !st.users.contains_key(&user) {
        return fail("user_not_found");
    } else if !is_member(c, &user) {
        return fail("user_not_in_channel");
    }
    let blocks = blocks_arg(p, 50)?;
    if text(p, "text").is_none() && blocks.is_none() && p.get("attachments").is_none() {
        return fail("no_text");
    }
    let channel = c.id.clone();
    st.show_ephemeral(&channel, &user, text(p, "text").unwrap_or_default(), blocks.unwrap_or(Value::Null));
    Ok(json!({"message_ts": st.next_ts()}))
}

fn chat_get_permalink(st: &mut State, p: &Value) -> Answer {
    let c = visible(&mut st.channels, text(p, "channel"))?;
    let id = c.id.clone();
    let m = st.message(&id, text(p, "message_ts"))?;
    let mut link = format!("{WORKSPACE_URL}/archives/{id}/p{}", m.ts.replace('.', ""));
    if let Some(root) = &m.thread_ts {
        link.push_str(&format!("?thread_ts={root}&cid={id}"));
    }
    Ok(json!({"channel": id, "permalink": link}))
}

fn pins_add(st: &mut State, p: &Value) -> Answer {
    let c = writable(&mut st.channels, text(p, "channel"))?;
    let id = c.id.clone();
    let ts = text(p, "timestamp").ok_or_else(|| error("no_item_specified"))?;
    st.message(&id, Some(ts.clone()))?;
    let c = visible(&mut st.channels, Some(id))?;
    if c.pins.contains(&ts) {
        return fail("already_pinned");
    }
    c.pins.push(ts);
    Ok(json!({}))
}

fn reactions_add(st: &mut State, p: &Value) -> Answer {
    let c = writable(&mut st.channels, text(p, "channel"))?;
    let id = c.id.clone();
    let name = text(p, "name").map(|n| n.trim_matches(':').to_string()).unwrap_or_default();
    if name.is_empty() {
        return fail("invalid_name");
    }
    let ts = text(p, "timestamp").ok_or_else(|| error("no_item_specified"))?;
    let m = st.message_mut(&id, Some(ts))?;
    if m.reactions.contains(&name) {
        return fail("already_reacted");
    }
    m.reactions.push(name);
    Ok(json!({}))
}

fn bookmarks_add(st: &mut State, p: &Value) -> Answer {
    let id = st.new_id("Bk");
    let team = st.team.clone();
    let c = writable(&mut st.channels, text(p, "channel_id"))?;
    let (Some(title), Some(link)) = (text(p, "title"), text(p, "link")) else {
        return fail("invalid_arguments");
    };
    if text(p, "type").as_deref() != Some("link") {
        return fail("invalid_arguments");
    }
    let emoji = text(p, "emoji");
    c.bookmarks.push(Bookmark { id: id.clone(), title: title.clone(), link: link.clone(), emoji: emoji.clone() });
    Ok(json!({"bookmark": {
        "id": id, "channel_id": c.id, "title": title, "link": link, "emoji": emoji, "icon_url": null,
        "type": "link", "entity_id": null, "date_created": now_micros() / 1_000_000, "date_updated": 0,
        "rank": "U", "last_updated_by_user_id": BOT_USER_ID, "last_updated_by_team_id": team,
        "shortcut_id": null, "app_id": null,
    }}))
}

fn users_info(st: &mut State, p: &Value) -> Answer {
    let id = text(p, "user").unwrap_or_default();
    let user = st.users.get(&id).ok_or_else(|| error("user_not_found"))?;
    Ok(json!({"user": st.user_json(&id, user)}))
}

/// The view as Slack returns it: what was sent plus id, hash and empty state.
fn stateful_view(st: &mut State, mut view: Value, id: &str, root: &str) -> Value {
    view["id"] = json!(id);
    view["team_id"] = json!(st.team);
    view["state"] = json!({"values": {}});
    view["hash"] = json!(st.next_ts().replace('.', "_"));
    view["root_view_id"] = json!(root);
    view["app_id"] = json!(APP_ID);
    view["bot_id"] = json!(BOT_ID);
    view
}

fn view_arg(p: &Value) -> Result<Value, Value> {
    let view = json_arg(p, "view").ok().flatten().filter(Value::is_object);
    let view = view.ok_or_else(|| error("invalid_arguments"))?;
    let blocks = view.get("blocks").cloned().unwrap_or(Value::Null);
    check_blocks(&blocks, 100)?;
    // A modal's title, submit and close texts: at most 24 characters each.
    for part in ["title", "submit", "close"] {
        if view[part]["text"].as_str().is_some_and(|t| t.chars().count() > 24) {
            let why = format!("must be less than 25 characters [json-pointer:/view/{part}/text]");
            return Err(json!({"error": "invalid_arguments", "response_metadata": {"messages": [why]}}));
        }
    }
    Ok(view)
}

fn views_open(st: &mut State, p: &Value) -> Answer {
    let trigger = text(p, "trigger_id").ok_or_else(|| error("invalid_arguments"))?;
    let view = view_arg(p)?;
    if !st.used_triggers.insert(trigger.clone()) {
        return fail("exchanged_trigger_id");
    }
    let owner = st.triggers.get(&trigger).cloned();
    let id = st.new_id("V");
    let view = stateful_view(st, view, &id, &id);
    st.views.insert(id.clone(), view.clone());
    if let Some(owner) = owner {
        st.view_stack.push((id, owner));
    }
    Ok(json!({"view": view}))
}

fn views_update(st: &mut State, p: &Value) -> Answer {
    let external = text(p, "external_id");
    let by_external =
        |v: &&Value| external.is_some() && v.get("external_id").and_then(Value::as_str) == external.as_deref();
    let found = match text(p, "view_id") {
        Some(id) => st.views.get(&id),
        None => st.views.values().find(by_external),
    };
    let old = found.cloned().ok_or_else(|| error("not_found"))?;
    if text(p, "hash").is_some_and(|h| old.get("hash").and_then(Value::as_str) != Some(h.as_str())) {
        return fail("hash_conflict");
    }
    let view = view_arg(p)?;
    let id = old["id"].as_str().unwrap_or_default().to_string();
    let root = old["root_view_id"].as_str().unwrap_or(&id).to_string();
    let view = stateful_view(st, view, &id, &root);
    st.views.insert(id, view.clone());
    Ok(json!({"view": view}))
}

fn files_get_upload_url(st: &mut State, p: &Value) -> Answer {
    let filename = text(p, "filename").ok_or_else(|| error("invalid_arguments"))?;
    text(p, "length").and_then(|l| l.parse::<u64>().ok()).ok_or_else(|| error("invalid_arguments"))?;
    let id = st.new_id("F");
    let url = format!("{}/upload/{id}", st.base);
    st.files.insert(id.clone(), UploadedFile { id: id.clone(), filename, ..UploadedFile::default() });
    Ok(json!({"upload_url": url, "file_id": id}))
}

fn files_complete_upload(st: &mut State, p: &Value) -> Answer {
    let files = json_arg(p, "files").ok().flatten();
    let files = files.as_ref().and_then(Value::as_array).ok_or_else(|| error("invalid_arguments"))?;
    let mut channels = list(p, "channels");
    channels.extend(text(p, "channel_id"));
    for id in &channels {
        writable(&mut st.channels, Some(id.clone()))?;
    }
    let ids: Vec<&str> = files.iter().filter_map(|f| f.get("id")?.as_str()).collect();
    if ids.len() != files.len() || ids.iter().any(|id| !st.files.get(*id).is_some_and(|f| f.uploaded)) {
        return fail("file_not_found");
    }
    let mut done = Vec::new();
    for (entry, id) in files.iter().zip(&ids) {
        let Some(file) = st.files.get_mut(*id) else {
            continue;
        };
        file.completed = true;
        let title = entry.get("title").and_then(Value::as_str).map(str::to_string);
        file.title = title.or(file.title.take());
        file.channels.extend(channels.iter().cloned());
        done.push(json!({"id": file.id, "name": file.filename, "title": file.title}));
    }
    let ids: Vec<String> = ids.into_iter().map(str::to_string).collect();
    for channel in channels {
        let message = Message {
            user: BOT_USER_ID.into(),
            text: text(p, "initial_comment").unwrap_or_default(),
            thread_ts: text(p, "thread_ts"),
            files: ids.clone(),
            ..Message::default()
        };
        st.post(&channel, message);
    }
    Ok(json!({"files": done}))
}

fn markdown(p: &Value, key: &str) -> Option<String> {
    let content = json_arg(p, key).ok().flatten()?;
    content.get("markdown").and_then(Value::as_str).map(str::to_string)
}

fn new_canvas(st: &mut State, p: &Value, channel: Option<String>) -> Answer {
    let id = st.new_id("F");
    let canvas = Canvas {
        id: id.clone(),
        title: text(p, "title"),
        markdown: markdown(p, "document_content").unwrap_or_default(),
        channel,
        access: Vec::new(),
    };
    st.canvases.insert(id.clone(), canvas);
    Ok(json!({"canvas_id": id}))
}

fn canvases_create(st: &mut State, p: &Value) -> Answer {
    let channel = text(p, "channel_id");
    if channel.is_some() {
        visible(&mut st.channels, channel.clone())?;
    }
    new_canvas(st, p, channel)
}

fn conversations_canvases_create(st: &mut State, p: &Value) -> Answer {
    let c = writable(&mut st.channels, text(p, "channel_id"))?;
    if c.canvas.is_some() {
        return fail("channel_canvas_already_exists");
    }
    let id = c.id.clone();
    let answer = new_canvas(st, p, Some(id.clone()))?;
    let canvas = answer["canvas_id"].as_str().map(str::to_string);
    if let Some(c) = st.channels.get_mut(&id) {
        c.canvas = canvas;
    }
    Ok(answer)
}

/// Applies each change: `replace` (whole document), inserts at the start or end
/// (`insert_before`/`insert_after` likewise, sections are not modelled), `rename`.
fn canvases_edit(st: &mut State, p: &Value) -> Answer {
    let id = text(p, "canvas_id").unwrap_or_default();
    let canvas = st.canvases.get_mut(&id).ok_or_else(|| error("canvas_not_found"))?;
    let changes = json_arg(p, "changes").ok().flatten();
    let changes = changes.as_ref().and_then(Value::as_array).filter(|c| !c.is_empty());
    let (mut markdown, mut title) = (canvas.markdown.clone(), canvas.title.clone());
    for change in changes.ok_or_else(|| error("invalid_arguments"))? {
        let content = change.pointer("/document_content/markdown").and_then(Value::as_str);
        let operation = change.get("operation").and_then(Value::as_str).unwrap_or_default();
        match (operation, content) {
            ("replace", Some(md)) => markdown = md.to_string(),
            ("insert_at_end" | "insert_after", Some(md)) => markdown = format!("{markdown}\n{md}"),
            ("insert_at_start" | "insert_before", Some(md)) => markdown = format!("{md}\n{markdown}"),
            ("delete", _) => {}
            ("rename", _) => {
                let new_title = change.pointer("/title_content/markdown").and_then(Value::as_str);
                title = Some(new_title.ok_or_else(|| error("invalid_arguments"))?.to_string());
            }
            _ => return fail("invalid_arguments"),
        }
    }
    (canvas.markdown, canvas.title) = (markdown, title);
    Ok(json!({}))
}

fn canvases_access_set(st: &mut State, p: &Value) -> Answer {
    let id = text(p, "canvas_id").unwrap_or_default();
    let canvas = st.canvases.get_mut(&id).ok_or_else(|| error("canvas_not_found"))?;
    let level = text(p, "access_level").filter(|l| ["read", "write", "owner"].contains(&l.as_str()));
    let (channels, users) = (list(p, "channel_ids"), list(p, "user_ids"));
    let Some(level) = level.filter(|_| channels.is_empty() != users.is_empty()) else {
        return fail("invalid_arguments");
    };
    canvas.access.extend(channels.into_iter().chain(users).map(|who| (who, level.clone())));
    Ok(json!({}))
}
