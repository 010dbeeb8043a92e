//! The demo page's HTTP side: `/demo` and its assets, `GET /demo/api/state`, and one `POST`
//! per thing a person does (`docs/demo-api.md`). Thin: read the JSON, hand it to the
//! [`SlackSide`], answer `{"ok": …}`.

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::scenario::Progress;
use super::slack_side::{ActError, SampleAlert, SlackSide, Submitted};
use super::{snapshot, workspace};
use crate::app::App;
use crate::clock::Clock;

/// What the page's handlers share.
#[derive(Clone)]
pub struct Demo {
    pub side: Arc<SlackSide>,
    pub korean: bool,
    /// The scripted scenario's progress, when one runs.
    pub scenario: Option<Arc<Progress>>,
    /// The running app, to wake the outbox after a skip ahead.
    pub app: Arc<std::sync::OnceLock<App>>,
}

/// The routes under `/demo`.
pub fn routes(demo: Demo) -> Router {
    Router::new()
        .route("/demo", get(page))
        .route("/demo/", get(page))
        .route("/demo/demo.js", get(script))
        .route("/demo/demo.css", get(stylesheet))
        .route("/demo/api/state", get(state))
        .route("/demo/api/command", post(command))
        .route("/demo/api/message", post(message))
        .route("/demo/api/react", post(react))
        .route("/demo/api/action", post(action))
        .route("/demo/api/submit", post(submit))
        .route("/demo/api/close", post(close))
        .route("/demo/api/shortcut", post(shortcut))
        .route("/demo/api/alert", post(alert))
        .route("/demo/api/skip", post(skip))
        .with_state(demo)
}

async fn page() -> Response {
    let html = [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")];
    (html, include_str!("../../assets/demo/index.html")).into_response()
}

async fn script() -> Response {
    let js = [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-store")];
    (js, include_str!("../../assets/demo/demo.js")).into_response()
}

async fn stylesheet() -> Response {
    let css = [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "no-store")];
    (css, include_str!("../../assets/demo/demo.css")).into_response()
}

/// A request the page's API turns down: `{"ok": false, "error": …}` with its status.
struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.0, Json(json!({"ok": false, "error": self.1}))).into_response()
    }
}

impl From<ActError> for Refusal {
    fn from(error: ActError) -> Refusal {
        let status = match error {
            ActError::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ActError::Unreachable(_) => StatusCode::BAD_GATEWAY,
        };
        Refusal(status, error.to_string())
    }
}

fn bad_request(why: impl Into<String>) -> Refusal {
    Refusal(StatusCode::BAD_REQUEST, why.into())
}

/// What an API call answers: `{"ok": true}` or a [`Refusal`].
type Answer = Result<Json<Value>, Refusal>;

fn done() -> Answer {
    Ok(Json(json!({"ok": true})))
}

/// The person acting must be one of the sample people.
fn person(id: &str) -> Result<&'static str, Refusal> {
    workspace::person(id).map(|p| p.id).ok_or_else(|| bad_request(format!("\"{id}\" is not one of the demo's people")))
}

/// Reads a JSON body, or says what was wrong with it.
fn body<T>(json: Result<Json<T>, JsonRejection>) -> Result<T, Refusal> {
    json.map(|Json(value)| value).map_err(|rejection| bad_request(rejection.body_text()))
}

#[derive(Deserialize)]
struct Viewer {
    #[serde(rename = "as")]
    me: Option<String>,
    channel: Option<String>,
}

async fn state(State(demo): State<Demo>, Query(viewer): Query<Viewer>) -> Response {
    let me = viewer.me.as_deref().and_then(workspace::person).unwrap_or(workspace::PEOPLE[0]).id;
    let mut state = snapshot::state(&demo.side.slack, me, viewer.channel.as_deref(), demo.korean);
    let now = demo.side.clock.now();
    let skipped = demo.side.clock.skipped().num_minutes();
    state["locale"] = json!(if demo.korean { "ko" } else { "en" });
    state["now"] = json!(now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    state["skipped_minutes"] = json!(skipped);
    state["scenario"] = demo.scenario.as_ref().map_or(Value::Null, |progress| progress.json());
    Json(state).into_response()
}

#[derive(Deserialize)]
struct Typed {
    #[serde(rename = "as")]
    me: String,
    channel: String,
    text: String,
    thread_ts: Option<String>,
}

async fn command(State(demo): State<Demo>, json: Result<Json<Typed>, JsonRejection>) -> Answer {
    let typed = body(json)?;
    demo.side.command(person(&typed.me)?, &typed.channel, typed.text.trim()).await?;
    done()
}

async fn message(State(demo): State<Demo>, json: Result<Json<Typed>, JsonRejection>) -> Answer {
    let typed = body(json)?;
    demo.side.message(person(&typed.me)?, &typed.channel, &typed.text, typed.thread_ts.as_deref()).await?;
    done()
}

#[derive(Deserialize)]
struct Reaction {
    #[serde(rename = "as")]
    me: String,
    channel: String,
    ts: String,
    name: String,
}

async fn react(State(demo): State<Demo>, json: Result<Json<Reaction>, JsonRejection>) -> Answer {
    let reaction = body(json)?;
    demo.side.react(person(&reaction.me)?, &reaction.channel, &reaction.ts, &reaction.name).await?;
    done()
}

/// What an element may carry in a `block_actions` action, as Slack sends it.
const ACTION_FIELDS: [&str; 10] = [
    "action_id",
    "block_id",
    "type",
    "value",
    "selected_option",
    "selected_options",
    "selected_user",
    "selected_users",
    "selected_date",
    "selected_conversation",
];

/// `{"as", "channel", "ts" | "ephemeral_id" | "view_id", "action_id", …}`: the routing fields
/// say where the click happened, the rest (only [`ACTION_FIELDS`]) is the action itself.
async fn action(State(demo): State<Demo>, json: Result<Json<Value>, JsonRejection>) -> Answer {
    let click = body(json)?;
    let text = |key: &str| click[key].as_str().filter(|s| !s.is_empty()).map(str::to_owned);
    let me = person(&text("as").unwrap_or_default())?;
    if text("action_id").is_none() {
        return Err(bad_request("action_id: expected the element's action_id"));
    }
    let mut element = serde_json::Map::new();
    for field in ACTION_FIELDS {
        if let Some(value) = click.get(field).filter(|v| !v.is_null()) {
            element.insert(field.to_owned(), value.clone());
        }
    }
    let element = Value::Object(element);
    match (text("view_id"), text("channel"), text("ts").or_else(|| text("ephemeral_id"))) {
        (Some(view), _, _) => demo.side.act_in_view(me, &view, element).await?,
        (None, Some(channel), Some(ts)) => demo.side.act_on_message(me, &channel, &ts, element).await?,
        _ => return Err(bad_request("an action needs view_id, or channel and ts")),
    }
    done()
}

#[derive(Deserialize)]
struct Submission {
    #[serde(rename = "as")]
    me: String,
    view_id: String,
    #[serde(default)]
    values: Value,
}

async fn submit(State(demo): State<Demo>, json: Result<Json<Submission>, JsonRejection>) -> Answer {
    let submission = body(json)?;
    let me = person(&submission.me)?;
    let values = if submission.values.is_object() { submission.values } else { json!({}) };
    match demo.side.submit(me, &submission.view_id, values).await? {
        Submitted::Closed => done(),
        Submitted::Errors(errors) => Ok(Json(json!({"ok": false, "errors": errors}))),
    }
}

#[derive(Deserialize)]
struct Closing {
    #[serde(rename = "as")]
    me: String,
    view_id: String,
}

async fn close(State(demo): State<Demo>, json: Result<Json<Closing>, JsonRejection>) -> Answer {
    let closing = body(json)?;
    demo.side.close(person(&closing.me)?, &closing.view_id).await?;
    done()
}

#[derive(Deserialize)]
struct Shortcut {
    #[serde(rename = "as")]
    me: String,
    channel: String,
    ts: String,
}

async fn shortcut(State(demo): State<Demo>, json: Result<Json<Shortcut>, JsonRejection>) -> Answer {
    let shortcut = body(json)?;
    demo.side.shortcut(person(&shortcut.me)?, &shortcut.channel, &shortcut.ts).await?;
    done()
}

#[derive(Deserialize)]
struct Alert {
    kind: Option<SampleAlert>,
}

/// Fires a sample alert: by default one firebell offers in the triage channel.
async fn alert(State(demo): State<Demo>, json: Result<Json<Alert>, JsonRejection>) -> Answer {
    let sample = body(json)?.kind.unwrap_or(SampleAlert::Prompt);
    demo.side.fire_alert(sample).await?;
    done()
}

#[derive(Deserialize)]
struct Skip {
    minutes: i64,
}

/// The longest single skip: a week, enough for any reminder, deadline or retro nudge.
const MAX_SKIP_MINUTES: i64 = 7 * 24 * 60;

async fn skip(State(demo): State<Demo>, json: Result<Json<Skip>, JsonRejection>) -> Answer {
    let skip = body(json)?;
    if !(1..=MAX_SKIP_MINUTES).contains(&skip.minutes) {
        return Err(bad_request(format!("minutes: expected 1 to {MAX_SKIP_MINUTES}")));
    }
    demo.skip(chrono::Duration::minutes(skip.minutes));
    done()
}

impl Demo {
    /// Moves the bot's clock ahead and wakes the outbox, whose next job may now be due.
    pub fn skip(&self, by: chrono::Duration) {
        self.side.skip(by);
        if let Some(app) = self.app.get() {
            app.wake_outbox();
        }
    }
}

#[cfg(test)]
mod tests {
    /// Every `:emoji:` the bot's words use is drawn as the emoji on the page, not as its code.
    #[test]
    fn the_page_draws_every_emoji_the_bot_uses() {
        let script = include_str!("../../assets/demo/demo.js");
        let table = &script[script.find("const EMOJI = {").unwrap()..];
        let table = &table[..table.find("};").unwrap()];
        let words = [include_str!("../catalog/en.toml"), include_str!("../catalog/ko.toml")].concat();
        let mut missing = Vec::new();
        let mut rest = words.as_str();
        while let Some(open) = rest.find(':') {
            rest = &rest[open + 1..];
            let Some(close) = rest.find(':') else { break };
            let code = &rest[..close];
            let is_code = code.chars().any(|c| c.is_ascii_lowercase())
                && code.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit());
            if is_code {
                if !table.contains(&format!(" {code}:")) {
                    missing.push(code.to_owned());
                }
                rest = &rest[close + 1..];
            }
        }
        missing.sort();
        missing.dedup();
        assert!(missing.is_empty(), "add to EMOJI in assets/demo/demo.js: {missing:?}");
    }
}
