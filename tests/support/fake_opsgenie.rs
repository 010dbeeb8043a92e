//! A fake Opsgenie Alert API for tests: create (`POST /v2/alerts`), acknowledge and close
//! (`POST /v2/alerts/{identifier}/acknowledge|close`), authenticated and validated as Opsgenie
//! does it, with every request recorded and each alert's status kept by alias.
//!
//! What it mirrors (docs.opsgenie.com/docs/alert-api and /docs/response):
//! - `Authorization: GenieKey <key>` must carry the fake's key ([`KEY`] or
//!   [`FakeOpsgenie::start_with_key`]'s): otherwise 401 `{"message":"Could not authenticate",…}`.
//! - A body that is not JSON is 400; a create whose `message` is missing or over 130
//!   characters, whose `alias` is over 512, whose `description` is over 15000, whose `priority`
//!   is not P1..P5 or whose `details` are not a map of strings, or a note over 25000, is 422
//!   `{"message":"Request body is not processable. Please check the errors.","errors":{…}}`.
//! - Valid requests answer 202 `{"result":"Request will be processed","took":…,"requestId":…}`.
//!   Creating an alias that is open again adds to that alert's count (recorded as a duplicate);
//!   after a close it opens a new alert. Acknowledge and close look the identifier up as an
//!   alias only with `identifierType=alias` (as an alert id otherwise, which never matches
//!   here); an identifier that matches no alert is still a 202 — Opsgenie reports that failure
//!   only on its request-status endpoint — and is recorded in [`FakeOpsgenie::unknown`] so
//!   tests can assert it did not happen. Acknowledging an acked or closed alert, or closing a
//!   closed one, is accepted and changes nothing.
//!
//! Faults: [`FakeOpsgenie::fail_next`] answers the next requests with a status (a 429 with
//! `Retry-After: 1`) before anything else, changing nothing. The server stops when dropped.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as Shared};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};

/// The API key the fake accepts unless started with another.
pub const KEY: &str = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

const PRIORITIES: [&str; 5] = ["P1", "P2", "P3", "P4", "P5"];

/// What a request asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Create,
    Acknowledge,
    Close,
}

/// Where an alert is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertStatus {
    Open,
    Acked,
    Closed,
}

/// One alert, by alias.
#[derive(Clone, Debug)]
pub struct Alert {
    pub alias: String,
    pub message: String,
    /// `P3` when the create named none, as in Opsgenie.
    pub priority: String,
    pub status: AlertStatus,
    /// Creates received for it while open, the first included (Opsgenie's `count`).
    pub count: usize,
    /// The body of the create that opened it.
    pub body: Value,
}

/// One request as received, with the status it was answered with.
#[derive(Clone, Debug)]
pub struct Request {
    pub action: Action,
    /// The alias (or identifier) in the path; `None` for a create.
    pub identifier: Option<String>,
    /// The `Authorization` header as sent.
    pub authorization: Option<String>,
    /// The JSON body (`Null` when empty), or the raw text as a JSON string.
    pub body: Value,
    pub status: u16,
}

struct State {
    key: String,
    requests: Vec<Request>,
    alerts: BTreeMap<String, Alert>,
    accepted: HashMap<(Action, String), usize>,
    duplicates: HashMap<String, usize>,
    unknown: Vec<(Action, String)>,
    faults: VecDeque<u16>,
    next_id: u64,
}

/// The running fake; see the module docs.
pub struct FakeOpsgenie {
    state: Arc<Mutex<State>>,
    base: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeOpsgenie {
    fn drop(&mut self) {
        self.server.abort();
    }
}

type SharedState = Shared<Arc<Mutex<State>>>;

impl FakeOpsgenie {
    /// Starts the server on `127.0.0.1:0`, accepting [`KEY`].
    pub async fn start() -> FakeOpsgenie {
        FakeOpsgenie::start_with_key(KEY).await
    }

    /// Starts the server on `127.0.0.1:0`, accepting only `key`.
    #[allow(clippy::expect_used, reason = "a fixture that cannot listen fails the test")]
    pub async fn start_with_key(key: &str) -> FakeOpsgenie {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("fake Opsgenie binds 127.0.0.1:0");
        let base = format!("http://{}", listener.local_addr().expect("fake Opsgenie has an address"));
        let state = Arc::new(Mutex::new(State {
            key: key.to_owned(),
            requests: Vec::new(),
            alerts: BTreeMap::new(),
            accepted: HashMap::new(),
            duplicates: HashMap::new(),
            unknown: Vec::new(),
            faults: VecDeque::new(),
            next_id: 0,
        }));
        let app = Router::new()
            .route("/v2/alerts", post(create))
            .route("/v2/alerts/{identifier}/acknowledge", post(acknowledge))
            .route("/v2/alerts/{identifier}/close", post(close))
            .with_state(Arc::clone(&state));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeOpsgenie { state, base, server }
    }

    /// `http://127.0.0.1:PORT`, the value for `FIREBELL_OPSGENIE_URL`.
    pub fn url(&self) -> String {
        self.base.clone()
    }

    /// Answers the next `n` requests with `status` and changes nothing; a 429 comes with
    /// `Retry-After: 1`.
    pub fn fail_next(&self, n: usize, status: u16) {
        self.lock().faults.extend(std::iter::repeat_n(status, n));
    }

    /// Every request received, accepted or not, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.lock().requests.clone()
    }

    /// The alert with this alias.
    pub fn alert(&self, alias: &str) -> Option<Alert> {
        self.lock().alerts.get(alias).cloned()
    }

    pub fn status(&self, alias: &str) -> Option<AlertStatus> {
        self.lock().alerts.get(alias).map(|a| a.status)
    }

    /// How many `action` requests for `alias` were accepted (202), unknown aliases included.
    pub fn count(&self, action: Action, alias: &str) -> usize {
        self.lock().accepted.get(&(action, alias.to_owned())).copied().unwrap_or(0)
    }

    /// How many creates were added to an already open alert with this alias.
    pub fn duplicates(&self, alias: &str) -> usize {
        self.lock().duplicates.get(alias).copied().unwrap_or(0)
    }

    /// Acknowledges and closes accepted for an identifier that matched no alert (Opsgenie's
    /// asynchronous "Alert does not exist"), in order.
    pub fn unknown(&self) -> Vec<(Action, String)> {
        self.lock().unknown.clone()
    }

    /// Polls `predicate` every 20 ms until it holds (true) or `timeout` passes (false).
    pub async fn wait_for(&self, mut predicate: impl FnMut(&FakeOpsgenie) -> bool, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if predicate(self) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn create(Shared(state): SharedState, headers: HeaderMap, body: Bytes) -> Response {
    handle(&state, Action::Create, None, &headers, &body)
}

async fn acknowledge(
    Shared(state): SharedState,
    Path(identifier): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let by_alias = query.get("identifierType").is_some_and(|t| t == "alias");
    handle(&state, Action::Acknowledge, Some((identifier, by_alias)), &headers, &body)
}

async fn close(
    Shared(state): SharedState,
    Path(identifier): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let by_alias = query.get("identifierType").is_some_and(|t| t == "alias");
    handle(&state, Action::Close, Some((identifier, by_alias)), &headers, &body)
}

/// Faults, then the key, then the body, then the action; every request is recorded.
fn handle(
    state: &Mutex<State>,
    action: Action,
    identifier: Option<(String, bool)>,
    headers: &HeaderMap,
    raw: &Bytes,
) -> Response {
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    // An acknowledge or close may come without a body; anything sent must be a JSON object.
    let body = if raw.is_empty() {
        Some(Value::Null)
    } else {
        serde_json::from_slice::<Value>(raw).ok().filter(Value::is_object)
    };
    let mut st = lock(state);
    let (status, response) = if let Some(status) = st.faults.pop_front() {
        (status, fault(status))
    } else if authorization.as_deref() != Some(format!("GenieKey {}", st.key).as_str()) {
        (401, answer(StatusCode::UNAUTHORIZED, json!({"message": "Could not authenticate"}), st.request_id()))
    } else if let Some(body) = &body {
        st.apply(action, identifier.clone(), body)
    } else {
        (400, answer(StatusCode::BAD_REQUEST, json!({"message": "Could not parse request body"}), st.request_id()))
    };
    let body = body.unwrap_or_else(|| Value::String(String::from_utf8_lossy(raw).into_owned()));
    let identifier = identifier.map(|(id, _)| id);
    st.requests.push(Request { action, identifier, authorization, body, status });
    response
}

impl State {
    fn request_id(&mut self) -> String {
        self.next_id += 1;
        format!("00000000-0000-4000-8000-{:012x}", self.next_id)
    }

    fn apply(&mut self, action: Action, identifier: Option<(String, bool)>, body: &Value) -> (u16, Response) {
        let errors = match action {
            Action::Create => validate_create(body),
            Action::Acknowledge | Action::Close => validate_action(body),
        };
        if !errors.is_empty() {
            let refusal =
                json!({"message": "Request body is not processable. Please check the errors.", "errors": errors});
            return (422, answer(StatusCode::UNPROCESSABLE_ENTITY, refusal, self.request_id()));
        }
        let alias = match (action, identifier) {
            (Action::Create, _) => self.create(body),
            (_, Some((identifier, by_alias))) => self.act(action, identifier, by_alias),
            (_, None) => String::new(),
        };
        *self.accepted.entry((action, alias)).or_default() += 1;
        let processed = json!({"result": "Request will be processed"});
        (202, answer(StatusCode::ACCEPTED, processed, self.request_id()))
    }

    /// Opens an alert, or counts a duplicate of the open one; returns its alias.
    fn create(&mut self, body: &Value) -> String {
        let alias = match body.get("alias").and_then(Value::as_str).filter(|a| !a.is_empty()) {
            Some(alias) => alias.to_owned(),
            None => self.request_id(),
        };
        if let Some(alert) = self.alerts.get_mut(&alias).filter(|a| a.status != AlertStatus::Closed) {
            alert.count += 1;
            *self.duplicates.entry(alias.clone()).or_default() += 1;
            return alias;
        }
        let alert = Alert {
            alias: alias.clone(),
            message: body["message"].as_str().unwrap_or_default().to_owned(),
            priority: body.get("priority").and_then(Value::as_str).unwrap_or("P3").to_owned(),
            status: AlertStatus::Open,
            count: 1,
            body: body.clone(),
        };
        self.alerts.insert(alias.clone(), alert);
        alias
    }

    /// Acknowledges or closes the alert the identifier names, if any; returns the identifier.
    fn act(&mut self, action: Action, identifier: String, by_alias: bool) -> String {
        let found = if by_alias { self.alerts.get_mut(&identifier) } else { None };
        match (found, action) {
            (Some(alert), Action::Acknowledge) if alert.status == AlertStatus::Open => {
                alert.status = AlertStatus::Acked
            }
            (Some(alert), Action::Close) => alert.status = AlertStatus::Closed,
            (Some(_), _) => {}
            (None, _) => self.unknown.push((action, identifier.clone())),
        }
        identifier
    }
}

/// Opsgenie's field errors for a create, keyed by field.
fn validate_create(body: &Value) -> Map<String, Value> {
    let mut errors = Map::new();
    let length = |field: &str| body.get(field).and_then(Value::as_str).map(|s| s.chars().count());
    match length("message") {
        None | Some(0) => errors.insert("message".into(), json!("Message can not be empty.")),
        Some(n) if n > 130 => errors.insert("message".into(), json!("Message can not be longer than 130 characters.")),
        Some(_) => None,
    };
    if length("alias").is_some_and(|n| n > 512) {
        errors.insert("alias".into(), json!("Alias can not be longer than 512 characters."));
    }
    if length("description").is_some_and(|n| n > 15_000) {
        errors.insert("description".into(), json!("Description can not be longer than 15000 characters."));
    }
    let priority = body.get("priority");
    if priority.is_some_and(|p| !p.as_str().is_some_and(|p| PRIORITIES.contains(&p))) {
        errors.insert("priority".into(), json!("Priority should be one of [P1, P2, P3, P4, P5]."));
    }
    let details = body.get("details");
    if details.is_some_and(|d| !d.as_object().is_some_and(|map| map.values().all(Value::is_string))) {
        errors.insert("details".into(), json!("Details should be a map of strings."));
    }
    errors.extend(validate_action(body));
    errors
}

/// The fields an acknowledge or close may carry (`note`, also on a create).
fn validate_action(body: &Value) -> Map<String, Value> {
    let mut errors = Map::new();
    if body.get("note").and_then(Value::as_str).is_some_and(|n| n.chars().count() > 25_000) {
        errors.insert("note".into(), json!("Note can not be longer than 25000 characters."));
    }
    errors
}

/// An Opsgenie answer: the fields given plus `took` and `requestId`.
fn answer(status: StatusCode, mut fields: Value, request_id: String) -> Response {
    fields["took"] = json!(0.002);
    fields["requestId"] = json!(request_id);
    (status, axum::Json(fields)).into_response()
}

fn fault(status: u16) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = axum::Json(json!({"message": "injected fault", "took": 0.0}));
    if code == StatusCode::TOO_MANY_REQUESTS {
        return (code, [(header::RETRY_AFTER, "1")], body).into_response();
    }
    (code, body).into_response()
}
