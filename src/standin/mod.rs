//! The Slack stand-in: a local Slack Web API that `firebell demo` runs the bot against, and
//! that the end-to-end tests run it against (one stand-in for both, so the demo shows what the
//! tests check). It owns an in-memory workspace (users,
//! channels, messages, pins, bookmarks, views, files, canvases), answers the Web API
//! methods firebell calls with Slack's response shapes and error codes, records every
//! call and every `response_url` post, plays back injected faults (latency, 429, 5xx,
//! Slack errors), and enforces the rate limits a test sets (`limits.rs`: per
//! method, every n-th call, posts per channel), counting the 429s it answers. Large
//! workspaces and long channels are seeded in one go (`bulk.rs`).
//!
//! The server listens on `127.0.0.1:0` in a tokio task and stops accepting connections
//! when the [`SlackStandIn`] is dropped: keep it alive for as long as the bot talks to it.
//!
//! Requests are taken as Slack takes them, under `/api/<method>` (extra slashes are
//! tolerated, so a base URL with a trailing `/` works with slack-morphism, which joins
//! `{base}/{method}`): GET with a query string, POST with a JSON or form body; each Web API
//! answer is `application/json`. The bearer token (or a form/query `token`) must equal
//! [`SlackStandIn::set_token`]'s value (default [`TOKEN`]) or the call gets `invalid_auth`.
//!
//! Choices where Slack leaves room, or where the stand-in is simpler than Slack:
//! - The bot ([`BOT_USER_ID`]) is a member of every channel it creates and of every
//!   channel seeded with [`SlackStandIn::add_channel`]; use [`SlackStandIn::remove_member`] to
//!   take it out. It may post to public channels it is not in (`chat:write.public`,
//!   switch off with [`SlackStandIn::set_chat_write_public`]); every other write needs
//!   membership (`not_in_channel`). A private channel the bot is not in does not exist
//!   for it (`channel_not_found`), as in Slack.
//! - New public channels get ids `C…`, private ones `G…` (both forms exist in Slack).
//! - `chat.postMessage` to a user id posts in the bot's DM with that user, channel `D…`.
//! - `conversations.invite` without `force` invites nobody when any user fails and
//!   answers the first error plus `errors: [{user, ok, error}]`; with `force` it invites
//!   the valid ones and still answers that error. Deactivated users get `cant_invite`.
//! - No system messages (topic changes, joins) are added to history.
//! - History/replies default to 100 messages a page; cursors look like `next_ts:<ts>`;
//!   replies list the parent once, on the first page.
//! - Each `trigger_id` opens one view (`exchanged_trigger_id` after); expiry is not modelled.
//! - The `upload_url` answers `200 text/plain "OK - <bytes>"` like Slack's.
//! - A `response_url` takes 5 posts (then `404 used_url`); inject faults on it with the
//!   method name `"response_url"` (`"*"` covers Web API methods only). A post with
//!   `replace_original: true` replaces the command's reply: [`SlackStandIn::responses`] keeps one
//!   entry per URL for those, overwritten by each later one.
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State as Shared};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{Map, Value, json};

mod bulk;
mod limits;
mod methods;
mod people;
pub mod scopes;
pub mod socket;
mod wire;

use methods::dispatch;
pub use people::Ephemeral;
use wire::{dm_id, fail, is_member, now_micros};

/// The bot token the stand-in accepts until [`SlackStandIn::set_token`].
pub const TOKEN: &str = "xoxb-test-token";
/// The app-level token `apps.connections.open` accepts (Socket Mode).
pub const APP_TOKEN: &str = "xapp-1-A0FIREBELL-test-app-token";
/// The workspace `auth.test` reports until [`SlackStandIn::set_team`].
pub const TEAM_ID: &str = "T0FIREBELL";
/// The bot's user id: creator and first member of the channels it creates.
pub const BOT_USER_ID: &str = "U0FIREBELL";
pub const BOT_ID: &str = "B0FIREBELL";
/// Who wrote the messages [`SlackStandIn::add_history`] seeds.
pub const HISTORY_AUTHOR: &str = "U0CHATTER";
/// The app's id (`api_app_id` in what Slack sends it).
pub const APP_ID: &str = "A0FIREBELL";
const WORKSPACE_URL: &str = "https://firebell-test.slack.com";

/// One Web API call as received.
#[derive(Clone, Debug)]
pub struct Call {
    pub method: String,
    /// Query, form and JSON parameters merged into one object (form values are strings).
    pub params: Value,
    pub token: Option<String>,
}

/// A one-shot misbehaviour for the next call of a method.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Wait, then answer normally.
    Latency(Duration),
    /// HTTP 429 with `Retry-After` and `{"ok":false,"error":"ratelimited"}`.
    RateLimited { retry_after_secs: u64 },
    /// That HTTP status with a JSON `internal_error` body.
    ServerError(u16),
    /// HTTP 200 `{"ok":false,"error":…}`.
    SlackError(String),
    /// Never answers and has no effect: the caller times out or dies waiting.
    Hang,
    /// Has its effect (e.g. the channel is created), then never answers: what a caller sees
    /// when it crashes right after Slack acted.
    HangAfterEffect,
    /// Has its effect, then answers that HTTP status (a 5xx from a proxy after Slack acted):
    /// the caller cannot tell that it worked.
    FailAfterEffect(u16),
}

#[derive(Clone, Debug, Default)]
pub struct Channel {
    pub id: String,
    pub name: String,
    pub is_private: bool,
    pub is_im: bool,
    pub topic: String,
    pub purpose: String,
    pub members: Vec<String>,
    pub archived: bool,
    /// Timestamps of the pinned messages, in pinning order.
    pub pins: Vec<String>,
    pub bookmarks: Vec<Bookmark>,
    /// The channel canvas made by `conversations.canvases.create`.
    pub canvas: Option<String>,
    pub creator: String,
    pub created: u64,
}

#[derive(Clone, Debug)]
pub struct Bookmark {
    pub id: String,
    pub title: String,
    pub link: String,
    pub emoji: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Message {
    pub ts: String,
    pub thread_ts: Option<String>,
    pub user: String,
    pub text: String,
    /// The blocks as sent, `Value::Null` when none.
    pub blocks: Value,
    pub reply_broadcast: bool,
    pub edited: bool,
    /// Reactions the bot added.
    pub reactions: Vec<String>,
    /// Reactions people added: `(name, user)`.
    pub reacted: Vec<(String, String)>,
    /// Ids of files shared with this message.
    pub files: Vec<String>,
    /// The `metadata` it was posted with (`Value::Null` when none); history and replies show
    /// it with `include_all_metadata`.
    pub metadata: Value,
}

#[derive(Clone, Debug, Default)]
pub struct UploadedFile {
    pub id: String,
    pub filename: String,
    pub title: Option<String>,
    pub bytes: Vec<u8>,
    pub uploaded: bool,
    pub completed: bool,
    pub channels: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Canvas {
    pub id: String,
    pub title: Option<String>,
    pub markdown: String,
    pub channel: Option<String>,
    /// `(channel or user id, access level)` as granted by `canvases.access.set`.
    pub access: Vec<(String, String)>,
}

struct User {
    name: String,
    deleted: bool,
    is_bot: bool,
}

type Answer = Result<Value, Value>;

struct State {
    base: String,
    token: String,
    app_token: String,
    /// `ws://127.0.0.1:PORT`, where the Socket Mode server listens.
    socket_base: String,
    revoked: bool,
    team: String,
    chat_write_public: bool,
    calls: Vec<Call>,
    responses: Vec<Value>,
    response_posts: HashMap<String, usize>,
    /// Per `response_url`, where in `responses` the message that replaced the command's reply is.
    response_replaced: HashMap<String, usize>,
    faults: HashMap<String, VecDeque<Fault>>,
    users: BTreeMap<String, User>,
    channels: BTreeMap<String, Channel>,
    messages: HashMap<String, Vec<Message>>,
    views: HashMap<String, Value>,
    used_triggers: HashSet<String>,
    files: BTreeMap<String, UploadedFile>,
    canvases: BTreeMap<String, Canvas>,
    last_ts: u64,
    next_id: u64,
    /// Until then every Web API call answers this HTTP status.
    outage: Option<(std::time::Instant, u16)>,
    /// Every Web API call waits this long before answering (a slow Slack).
    latency: Duration,
    /// Rate limits, faults aimed at one channel, and the 429s answered.
    limits: limits::Limits,
    /// The bot token's OAuth scopes.
    scopes: std::collections::BTreeSet<String>,
    /// What only one person sees, oldest first.
    ephemerals: Vec<Ephemeral>,
    /// Per `response_url` id handed out with [`SlackStandIn::response_url_for`], whom it answers.
    requesters: HashMap<String, people::Requester>,
    /// Per `trigger_id` handed out with [`SlackStandIn::trigger_for`], whose it is.
    triggers: HashMap<String, String>,
    /// The views open on people's screens: `(view id, user)`, oldest first.
    view_stack: Vec<(String, String)>,
    /// How many Web API calls have changed the workspace so far.
    writes: u64,
}

/// The running stand-in; see the module docs. Cheap to share behind an `Arc`.
pub struct SlackStandIn {
    state: Arc<Mutex<State>>,
    base: String,
    server: tokio::task::JoinHandle<()>,
    /// Socket Mode: the connections the bot opened, and what it sent on them.
    pub socket: Arc<socket::Hub>,
    socket_server: tokio::task::JoinHandle<()>,
}

impl Drop for SlackStandIn {
    fn drop(&mut self) {
        self.server.abort();
        self.socket_server.abort();
    }
}

impl SlackStandIn {
    /// Starts the server on `127.0.0.1:0` in a tokio task, with only the bot user and no
    /// channels. It stops accepting connections when the `SlackStandIn` is dropped.
    pub async fn start() -> std::io::Result<SlackStandIn> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let base = format!("http://{addr}");
        let socket_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let socket_base = format!("ws://{}", socket_listener.local_addr()?);
        let socket = Arc::new(socket::Hub::default());
        let socket_server = tokio::spawn(socket::serve(socket_listener, Arc::clone(&socket)));
        let mut users = BTreeMap::new();
        let bot = User { name: "firebell".into(), deleted: false, is_bot: true };
        users.insert(BOT_USER_ID.to_string(), bot);
        let state = Arc::new(Mutex::new(State {
            base: base.clone(),
            token: TOKEN.into(),
            app_token: APP_TOKEN.into(),
            socket_base,
            revoked: false,
            team: TEAM_ID.into(),
            chat_write_public: true,
            calls: Vec::new(),
            responses: Vec::new(),
            response_posts: HashMap::new(),
            response_replaced: HashMap::new(),
            faults: HashMap::new(),
            users,
            channels: BTreeMap::new(),
            messages: HashMap::new(),
            views: HashMap::new(),
            used_triggers: HashSet::new(),
            files: BTreeMap::new(),
            canvases: BTreeMap::new(),
            last_ts: 0,
            next_id: 0,
            outage: None,
            latency: Duration::ZERO,
            limits: limits::Limits::default(),
            scopes: scopes::manifest_scopes(),
            ephemerals: Vec::new(),
            requesters: HashMap::new(),
            triggers: HashMap::new(),
            view_stack: Vec::new(),
            writes: 0,
        }));
        let app = Router::new().fallback(route).layer(DefaultBodyLimit::max(64 << 20)).with_state(state.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(SlackStandIn { state, base, server, socket, socket_server })
    }

    /// Every Web API call answers HTTP `status` for `duration` from now (a Slack outage).
    pub fn outage(&self, duration: Duration, status: u16) {
        self.lock().outage = Some((std::time::Instant::now() + duration, status));
    }

    /// Every Web API call from now on waits `latency` before it is answered (and has its effect).
    pub fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    /// How many channels have a name starting with `prefix`.
    pub fn channels_named_like(&self, prefix: &str) -> usize {
        self.lock().channels.values().filter(|c| c.name.starts_with(prefix)).count()
    }

    /// Seeds a channel made by someone else than the bot, with the bot not in it.
    pub fn add_foreign_channel(&self, id: &str, name: &str) {
        let mut channel = seeded_channel(id, name, false);
        channel.members.clear();
        self.lock().channels.insert(id.to_owned(), channel);
    }

    /// `http://127.0.0.1:PORT/api/`, the value for `SLACK_API_URL`.
    pub fn api_url(&self) -> String {
        format!("{}/api/", self.base)
    }

    /// A response URL; what is posted to it shows in [`SlackStandIn::responses`].
    pub fn response_url(&self, id: &str) -> String {
        format!("{}/response/{id}", self.base)
    }

    /// How many Web API calls have changed the workspace (posts, edits, pins, channels, views…):
    /// a number that grows whenever the bot does something visible.
    pub fn writes(&self) -> u64 {
        self.lock().writes
    }

    /// Every Web API call received so far, in order, faulted ones included.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    pub fn calls_to(&self, method: &str) -> Vec<Call> {
        self.lock().calls.iter().filter(|c| c.method == method).cloned().collect()
    }

    /// The JSON bodies posted to response URLs, in order (not the faulted or refused ones).
    pub fn responses(&self) -> Vec<Value> {
        self.lock().responses.clone()
    }

    /// Queues a one-shot fault for the next call of `method` (FIFO per method); `"*"`
    /// serves any Web API method whose own queue is empty, `"response_url"` the
    /// response URLs. Rate limits ([`SlackStandIn::limit_method`] and the others) come first:
    /// a call they refuse leaves the queued faults for the next one.
    pub fn inject(&self, method: &str, fault: Fault) {
        self.lock().faults.entry(method.to_string()).or_default().push_back(fault);
    }

    pub fn add_user(&self, id: &str, name: &str) {
        let user = User { name: name.into(), deleted: false, is_bot: false };
        self.lock().users.insert(id.to_string(), user);
    }

    /// A user that `users.info` reports `deleted` and that cannot be invited.
    pub fn add_deactivated_user(&self, id: &str, name: &str) {
        let user = User { name: name.into(), deleted: true, is_bot: false };
        self.lock().users.insert(id.to_string(), user);
    }

    /// Deletes a channel: every later call naming it gets `channel_not_found`.
    pub fn remove_channel(&self, id: &str) {
        self.lock().channels.remove(id);
    }

    /// Seeds a channel with the bot as its only member.
    pub fn add_channel(&self, id: &str, name: &str, is_private: bool) {
        let channel = seeded_channel(id, name, is_private);
        self.lock().channels.insert(id.to_string(), channel);
    }

    /// Archives a channel: writes to it answer `is_archived`.
    pub fn archive_channel(&self, channel: &str) {
        if let Some(c) = self.lock().channels.get_mut(channel) {
            c.archived = true;
        }
    }

    pub fn add_member(&self, channel: &str, user: &str) {
        let mut st = self.lock();
        let Some(c) = st.channels.get_mut(channel) else {
            return;
        };
        if !is_member(c, user) {
            c.members.push(user.to_string());
        }
    }

    pub fn remove_member(&self, channel: &str, user: &str) {
        if let Some(c) = self.lock().channels.get_mut(channel) {
            c.members.retain(|m| m != user);
        }
    }

    /// Adds a message as if `user` wrote it; returns its ts. An unknown channel is
    /// created public, named after its id.
    pub fn add_message(&self, channel: &str, user: &str, text: &str, thread_ts: Option<&str>) -> String {
        let mut st = self.lock();
        let seed = || seeded_channel(channel, &channel.to_lowercase(), false);
        st.channels.entry(channel.to_string()).or_insert_with(seed);
        let message = Message {
            user: user.into(),
            text: text.into(),
            thread_ts: thread_ts.map(str::to_string),
            ..Message::default()
        };
        st.post(channel, message)
    }

    /// Adds a message another app posted with its own `metadata` (any JSON, as Slack stores
    /// what apps send); returns its ts.
    pub fn add_app_message(&self, channel: &str, text: &str, metadata: Value) -> String {
        let mut st = self.lock();
        let message = Message { user: "U0OTHERAPP".into(), text: text.into(), metadata, ..Message::default() };
        st.post(channel, message)
    }

    pub fn channel(&self, id: &str) -> Option<Channel> {
        self.lock().channels.get(id).cloned()
    }

    /// The id of the first channel whose name starts with `prefix`.
    pub fn channel_by_prefix(&self, prefix: &str) -> Option<String> {
        self.lock().channels.values().find(|c| c.name.starts_with(prefix)).map(|c| c.id.clone())
    }

    pub fn channel_by_name(&self, name: &str) -> Option<Channel> {
        self.lock().channels.values().find(|c| c.name == name && !c.is_im).cloned()
    }

    /// Messages of a channel (or of the bot's DM with a user id), oldest first.
    pub fn messages(&self, channel: &str) -> Vec<Message> {
        let st = self.lock();
        let dm = dm_id(channel);
        let list = st.messages.get(channel).or_else(|| st.messages.get(&dm));
        list.cloned().unwrap_or_default()
    }

    /// One message of a channel (or of the bot's DM with a user id), by its ts.
    pub fn message(&self, channel: &str, ts: &str) -> Option<Message> {
        let st = self.lock();
        let dm = dm_id(channel);
        let list = st.messages.get(channel).or_else(|| st.messages.get(&dm))?;
        list.iter().find(|m| m.ts == ts).cloned()
    }

    /// firebell's delivery keys (job, place, n-th post; carried in message metadata) found on
    /// more than one message anywhere: a post made twice. Empty when nothing was doubled.
    pub fn deliveries_posted_twice(&self) -> Vec<String> {
        let st = self.lock();
        let mut keys: Vec<&str> =
            st.messages.values().flatten().filter_map(|m| m.metadata["event_payload"]["key"].as_str()).collect();
        keys.sort_unstable();
        let mut twice: Vec<String> = keys.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0].to_owned()).collect();
        twice.dedup();
        twice
    }

    /// The `chat.postMessage` calls that carried no firebell delivery key: posts made outside
    /// an outbox job's delivery, which a retry could make twice. Empty when every post did.
    pub fn posts_without_delivery_key(&self) -> Vec<Value> {
        self.calls_to("chat.postMessage")
            .into_iter()
            .filter(|call| {
                let metadata = &call.params["metadata"];
                metadata["event_type"] != "firebell_delivery" || !metadata["event_payload"]["key"].is_string()
            })
            .map(|call| call.params)
            .collect()
    }

    /// The outbox jobs whose posts landed, by id: the first part of each delivery key
    /// (`job:channel/thread:n`) on a message anywhere.
    pub fn jobs_that_posted(&self) -> Vec<i64> {
        let st = self.lock();
        let mut jobs: Vec<i64> = st
            .messages
            .values()
            .flatten()
            .filter_map(|m| m.metadata["event_payload"]["key"].as_str()?.split(':').next()?.parse().ok())
            .collect();
        jobs.sort_unstable();
        jobs.dedup();
        jobs
    }

    pub fn files(&self) -> Vec<UploadedFile> {
        self.lock().files.values().cloned().collect()
    }

    pub fn canvases(&self) -> Vec<Canvas> {
        self.lock().canvases.values().cloned().collect()
    }

    pub fn set_team(&self, team_id: &str) {
        self.lock().team = team_id.to_string();
    }

    /// Accept this token from now on (and forget an earlier [`SlackStandIn::revoke_token`]).
    pub fn set_token(&self, token: &str) {
        let mut st = self.lock();
        st.token = token.to_string();
        st.revoked = false;
    }

    /// `apps.connections.open` accepts this app-level token from now on.
    pub fn set_app_token(&self, token: &str) {
        self.lock().app_token = token.to_string();
    }

    /// Every later Web API call answers `token_revoked`.
    pub fn revoke_token(&self) {
        self.lock().revoked = true;
    }

    /// Whether the bot may post to public channels it is not in (default true).
    pub fn set_chat_write_public(&self, allowed: bool) {
        self.lock().chat_write_public = allowed;
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

/// Who made the channels a test seeds: a person, not the bot.
pub const SEED_CREATOR: &str = "U0WORKSPACEADMIN";

fn seeded_channel(id: &str, name: &str, is_private: bool) -> Channel {
    Channel {
        id: id.into(),
        name: name.into(),
        is_private,
        members: vec![BOT_USER_ID.into()],
        creator: SEED_CREATOR.into(),
        created: now_micros() / 1_000_000,
        ..Channel::default()
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn route(Shared(state): Shared<Arc<Mutex<State>>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path = uri.path().to_string();
    if let Some(method) = path.strip_prefix("/api/") {
        web_api(&state, method.trim_start_matches('/'), &uri, &headers, &body).await
    } else if let Some(id) = path.strip_prefix("/response/") {
        response_url(&state, id, &body).await
    } else if let Some(id) = path.strip_prefix("/upload/") {
        upload(&state, id, &body)
    } else {
        refuse(StatusCode::NOT_FOUND, "not_found")
    }
}

async fn web_api(state: &Mutex<State>, method: &str, uri: &Uri, headers: &HeaderMap, body: &Bytes) -> Response {
    let (params, token, malformed) = parse_request(uri, headers, body);
    let (fault, latency) = {
        let mut st = lock(state);
        let call = Call { method: method.into(), params: params.clone(), token: token.clone() };
        st.calls.push(call);
        if let Some((until, status)) = st.outage {
            if std::time::Instant::now() < until {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                if status == StatusCode::TOO_MANY_REQUESTS {
                    st.count_rate_limited(method);
                }
                return refuse(status, "internal_error");
            }
            st.outage = None;
        }
        (st.fault_for(method, &params), st.latency)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let hang_after_effect = matches!(fault, Some(Fault::HangAfterEffect));
    let fail_after_effect = match fault {
        Some(Fault::FailAfterEffect(status)) => Some(status),
        _ => None,
    };
    if let Some(response) = play(fault).await {
        return response;
    }
    let answer = match malformed {
        Some(code) => fail(code),
        None => {
            let mut st = lock(state);
            let answer = dispatch(&mut st, method, token.as_deref(), &params);
            if answer.is_ok() && methods::changes_workspace(method) {
                st.writes += 1;
            }
            answer
        }
    };
    if hang_after_effect {
        std::future::pending::<()>().await;
    }
    if let Some(status) = fail_after_effect {
        return refuse(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), "internal_error");
    }
    let (ok, mut body) = match answer {
        Ok(body) => (true, body),
        Err(body) => (false, body),
    };
    if let Some(fields) = body.as_object_mut() {
        fields.insert("ok".into(), Value::Bool(ok));
    }
    Json(body).into_response()
}

/// Sleeps for `Latency`; any other fault becomes the answer.
async fn play(fault: Option<Fault>) -> Option<Response> {
    match fault? {
        Fault::Hang => std::future::pending().await,
        Fault::HangAfterEffect | Fault::FailAfterEffect(_) => None,
        Fault::Latency(delay) => {
            tokio::time::sleep(delay).await;
            None
        }
        Fault::RateLimited { retry_after_secs } => {
            let retry = [(header::RETRY_AFTER, retry_after_secs.to_string())];
            let answer = refuse(StatusCode::TOO_MANY_REQUESTS, "ratelimited");
            Some((retry, answer).into_response())
        }
        Fault::ServerError(status) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Some(refuse(status, "internal_error"))
        }
        Fault::SlackError(code) => Some(refuse(StatusCode::OK, &code)),
    }
}

/// Merges query, form and JSON parameters; the token comes from `Authorization:
/// Bearer` or a `token` parameter. The third value is Slack's code for a bad request.
fn parse_request(uri: &Uri, headers: &HeaderMap, body: &Bytes) -> (Value, Option<String>, Option<&'static str>) {
    let get = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    let content_type = get(header::CONTENT_TYPE).unwrap_or_default().to_ascii_lowercase();
    let mut params = Map::new();
    let mut malformed = None;
    match form_pairs(uri.query().unwrap_or_default().as_bytes()) {
        Some(pairs) => params.extend(pairs),
        None => malformed = Some("invalid_arguments"),
    }
    if content_type.starts_with("application/x-www-form-urlencoded") {
        match form_pairs(body) {
            Some(pairs) => params.extend(pairs),
            None => malformed = Some("invalid_form_data"),
        }
    } else if content_type.starts_with("application/json") {
        match serde_json::from_slice(body) {
            Ok(Value::Object(fields)) => params.extend(fields),
            _ if body.is_empty() => {}
            _ => malformed = Some("invalid_json"),
        }
    } else if !body.is_empty() {
        malformed = Some("invalid_post_type");
    }
    let bearer = get(header::AUTHORIZATION).and_then(|v| v.strip_prefix("Bearer "));
    let param_token = params.remove("token").and_then(|v| v.as_str().map(str::to_string));
    let token = bearer.map(str::to_string).or(param_token);
    (Value::Object(params), token, malformed)
}

fn form_pairs(bytes: &[u8]) -> Option<Vec<(String, Value)>> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes).ok()?;
    Some(pairs.into_iter().map(|(k, v)| (k, Value::String(v))).collect())
}

/// A JSON answer `{"ok": false, "error": code}` with that status.
fn refuse(status: StatusCode, code: &str) -> Response {
    (status, Json(json!({"ok": false, "error": code}))).into_response()
}

// ---- response URLs and uploads ----

async fn response_url(state: &Mutex<State>, id: &str, body: &Bytes) -> Response {
    let fault = lock(state).faults.get_mut("response_url").and_then(VecDeque::pop_front);
    let fail_after_effect = match fault {
        Some(Fault::FailAfterEffect(status)) => Some(status),
        _ => None,
    };
    if let Some(response) = play(fault).await {
        return response;
    }
    let answer = posted_to_response_url(state, id, body);
    match fail_after_effect {
        Some(status) if answer.status().is_success() => {
            refuse(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), "internal_error")
        }
        _ => answer,
    }
}

fn posted_to_response_url(state: &Mutex<State>, id: &str, body: &Bytes) -> Response {
    let mut st = lock(state);
    let posts = st.response_posts.entry(id.to_string()).or_default();
    *posts += 1;
    if *posts > 5 {
        return refuse(StatusCode::NOT_FOUND, "used_url");
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(posted) => {
            // `replace_original` replaces the message the command produced (its reply, which
            // the stand-in never sees, or what replaced it): one message, however often.
            let replaces = posted["replace_original"].as_bool() == Some(true);
            match st.response_replaced.get(id).copied() {
                Some(at) if replaces => st.responses[at] = posted,
                _ => {
                    st.responses.push(posted);
                    if replaces {
                        let at = st.responses.len() - 1;
                        st.response_replaced.insert(id.to_string(), at);
                    }
                }
            }
            if let Some(posted) = st.responses.last().cloned() {
                st.answer_requester(id, &posted);
            }
            Json(json!({"ok": true})).into_response()
        }
        Err(_) => refuse(StatusCode::BAD_REQUEST, "invalid_payload"),
    }
}

fn upload(state: &Mutex<State>, id: &str, body: &Bytes) -> Response {
    let mut st = lock(state);
    match st.files.get_mut(id) {
        Some(file) => {
            file.bytes = body.to_vec();
            file.uploaded = true;
            let plain = [(header::CONTENT_TYPE, "text/plain; charset=utf-8")];
            (StatusCode::OK, plain, format!("OK - {}", body.len())).into_response()
        }
        None => refuse(StatusCode::NOT_FOUND, "file_not_found"),
    }
}
