//! A fake PagerDuty Events API v2 for tests: `POST /v2/enqueue`, validated as PagerDuty
//! validates it and answered with PagerDuty's shapes, with every request recorded and the
//! state of each alert (by `dedup_key`) kept for tests to assert on.
//!
//! What it mirrors (developer-docs `events-API-v2/02-Trigger-Events.md` and `01-Overview.md`):
//! - 400 `{"status":"invalid event","message":"Event object is invalid","errors":[…]}` for a
//!   body that is not a JSON object, a routing key that is missing or not 32 letters and
//!   digits, an `event_action` other than trigger/acknowledge/resolve, an acknowledge or
//!   resolve without `dedup_key`, a `dedup_key` over 255 characters, and a trigger whose
//!   `payload.summary` is missing or over 1024 characters, whose `payload.source` is missing,
//!   or whose `payload.severity` is not critical/error/warning/info. All errors are listed.
//! - 202 `{"status":"success","message":"Event processed","dedup_key":…}` otherwise; a trigger
//!   without a `dedup_key` gets a generated one.
//! - De-duplication: a trigger for an open (triggered or acknowledged) key is added to that
//!   alert (recorded as a duplicate); after a resolve, a trigger opens a new alert; acknowledge
//!   and resolve for a key with no open alert are accepted and dropped (recorded as dropped).
//!
//! Simpler than PagerDuty: any well-formed routing key is accepted (each event keeps its key in
//! its body), and there is no rate limit of its own: [`FakePagerDuty::fail_next`] injects 429s.
//! The server stops when the fake is dropped.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as Shared;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

/// A well-formed routing key for tests (32 letters and digits).
pub const ROUTING_KEY: &str = "firebelltest0routing0key00000001";

const SEVERITIES: [&str; 4] = ["critical", "error", "warning", "info"];
const ACTIONS: [&str; 3] = ["trigger", "acknowledge", "resolve"];

/// One request as received, with the status it was answered with.
#[derive(Clone, Debug)]
pub struct Request {
    /// The JSON body, or the raw text as a JSON string when it was not JSON.
    pub body: Value,
    pub status: u16,
}

/// An event PagerDuty accepted (202), in the order received.
#[derive(Clone, Debug)]
pub struct Event {
    pub action: String,
    pub dedup_key: String,
    pub body: Value,
}

/// Where an alert is, by its `dedup_key`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertState {
    Triggered,
    Acknowledged,
    Resolved,
}

#[derive(Default)]
struct State {
    requests: Vec<Request>,
    accepted: Vec<Event>,
    alerts: HashMap<String, AlertState>,
    duplicates: HashMap<String, usize>,
    dropped: Vec<Event>,
    faults: VecDeque<u16>,
    generated_keys: u64,
}

/// The running fake; see the module docs.
pub struct FakePagerDuty {
    state: Arc<Mutex<State>>,
    base: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakePagerDuty {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakePagerDuty {
    /// Starts the server on `127.0.0.1:0` in a tokio task, with no alerts.
    #[allow(clippy::expect_used, reason = "a fixture that cannot listen fails the test")]
    pub async fn start() -> FakePagerDuty {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("fake PagerDuty binds 127.0.0.1:0");
        let base = format!("http://{}", listener.local_addr().expect("fake PagerDuty has an address"));
        let state = Arc::new(Mutex::new(State::default()));
        let app = Router::new().route("/v2/enqueue", post(enqueue)).with_state(Arc::clone(&state));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakePagerDuty { state, base, server }
    }

    /// `http://127.0.0.1:PORT`, the value for `FIREBELL_PAGERDUTY_URL`.
    pub fn url(&self) -> String {
        self.base.clone()
    }

    /// Answers the next `n` requests with `status` and changes nothing; a 429 comes with
    /// `Retry-After: 1` and PagerDuty's throttling body.
    pub fn fail_next(&self, n: usize, status: u16) {
        self.lock().faults.extend(std::iter::repeat_n(status, n));
    }

    /// Every request received, accepted or not, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.lock().requests.clone()
    }

    /// Every event accepted (202), in order, dropped ones included.
    pub fn accepted(&self) -> Vec<Event> {
        self.lock().accepted.clone()
    }

    /// How many `action` events were accepted for `dedup_key`.
    pub fn accepted_count(&self, action: &str, dedup_key: &str) -> usize {
        self.lock().accepted.iter().filter(|e| e.action == action && e.dedup_key == dedup_key).count()
    }

    /// The state of the alert with this key, `None` when it was never triggered.
    pub fn alert_state(&self, dedup_key: &str) -> Option<AlertState> {
        self.lock().alerts.get(dedup_key).copied()
    }

    /// How many triggers were added to an already open alert with this key.
    pub fn duplicates(&self, dedup_key: &str) -> usize {
        self.lock().duplicates.get(dedup_key).copied().unwrap_or(0)
    }

    /// Acknowledge and resolve events accepted for a key with no open alert, which PagerDuty drops.
    pub fn dropped(&self) -> Vec<Event> {
        self.lock().dropped.clone()
    }

    /// Polls `predicate` every 20 ms until it holds (true) or `timeout` passes (false).
    pub async fn wait_for(&self, mut predicate: impl FnMut(&FakePagerDuty) -> bool, timeout: Duration) -> bool {
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

async fn enqueue(Shared(state): Shared<Arc<Mutex<State>>>, body: Bytes) -> Response {
    let body: Value =
        serde_json::from_slice(&body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    let mut st = lock(&state);
    let (status, response) = match st.faults.pop_front() {
        Some(status) => (status, fault(status)),
        None => st.apply(&body),
    };
    st.requests.push(Request { body, status });
    response
}

impl State {
    /// Validates and applies one event; returns the status and the answer.
    fn apply(&mut self, body: &Value) -> (u16, Response) {
        let errors = validate(body);
        if !errors.is_empty() {
            let answer = json!({"status": "invalid event", "message": "Event object is invalid", "errors": errors});
            return (400, (StatusCode::BAD_REQUEST, axum::Json(answer)).into_response());
        }
        let action = text(body, "event_action").unwrap_or_default().to_owned();
        let dedup_key = match text(body, "dedup_key") {
            Some(key) => key.to_owned(),
            None => {
                self.generated_keys += 1;
                format!("{:032x}", self.generated_keys)
            }
        };
        let event = Event { action: action.clone(), dedup_key: dedup_key.clone(), body: body.clone() };
        let open = matches!(self.alerts.get(&dedup_key), Some(AlertState::Triggered | AlertState::Acknowledged));
        match (action.as_str(), open) {
            ("trigger", true) => *self.duplicates.entry(dedup_key.clone()).or_default() += 1,
            ("trigger", false) => {
                self.alerts.insert(dedup_key.clone(), AlertState::Triggered);
            }
            ("acknowledge", true) => {
                self.alerts.insert(dedup_key.clone(), AlertState::Acknowledged);
            }
            ("resolve", true) => {
                self.alerts.insert(dedup_key.clone(), AlertState::Resolved);
            }
            _ => self.dropped.push(event.clone()),
        }
        self.accepted.push(event);
        let answer = json!({"status": "success", "message": "Event processed", "dedup_key": dedup_key});
        (202, (StatusCode::ACCEPTED, axum::Json(answer)).into_response())
    }
}

/// Every problem PagerDuty would list for this body.
fn validate(body: &Value) -> Vec<String> {
    if !body.is_object() {
        return vec!["Event object is not a JSON object".into()];
    }
    let mut errors = Vec::new();
    match text(body, "routing_key") {
        None => errors.push("'routing_key' is missing or blank".into()),
        Some(key) if key.chars().count() != 32 => {
            errors.push("Length of 'routing_key' is incorrect (should be 32 characters)".into());
        }
        Some(key) if !key.chars().all(|c| c.is_ascii_alphanumeric()) => {
            errors.push("'routing_key' is invalid".into());
        }
        Some(_) => {}
    }
    let action = text(body, "event_action");
    if !action.is_some_and(|a| ACTIONS.contains(&a)) {
        errors.push("'event_action' is missing or invalid (must be trigger, acknowledge or resolve)".into());
    }
    match text(body, "dedup_key") {
        None if matches!(action, Some("acknowledge" | "resolve")) => {
            errors.push("'dedup_key' is missing or blank".into());
        }
        Some(key) if key.chars().count() > 255 => {
            errors.push("Length of 'dedup_key' is too long (maximum is 255 characters)".into());
        }
        _ => {}
    }
    if action == Some("trigger") {
        errors.extend(validate_payload(&body["payload"]));
    }
    errors
}

fn validate_payload(payload: &Value) -> Vec<String> {
    if !payload.is_object() {
        return vec!["'payload' is missing or not an object".into()];
    }
    let mut errors = Vec::new();
    match text(payload, "summary") {
        None => errors.push("'payload.summary' is missing or blank".into()),
        Some(summary) if summary.chars().count() > 1024 => {
            errors.push("Length of 'payload.summary' is too long (maximum is 1024 characters)".into());
        }
        Some(_) => {}
    }
    if text(payload, "source").is_none() {
        errors.push("'payload.source' is missing or blank".into());
    }
    if !text(payload, "severity").is_some_and(|s| SEVERITIES.contains(&s)) {
        errors.push("'payload.severity' is missing or invalid (must be critical, error, warning or info)".into());
    }
    errors
}

/// A non-blank string field.
fn text<'a>(object: &'a Value, field: &str) -> Option<&'a str> {
    object.get(field).and_then(Value::as_str).filter(|s| !s.trim().is_empty())
}

fn fault(status: u16) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if code == StatusCode::TOO_MANY_REQUESTS {
        let answer = json!({"status": "throttle event", "message": "Requests for this service are arriving too quickly. Please retry later."});
        return (code, [(header::RETRY_AFTER, "1")], axum::Json(answer)).into_response();
    }
    (code, axum::Json(json!({"status": "error", "message": "injected fault"}))).into_response()
}
