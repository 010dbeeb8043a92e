//! What Slack does when a person acts in the demo: it changes the stand-in's workspace (a
//! message posted, a reaction added) and sends firebell the signed request Slack would send
//! (`/slack/commands`, `/slack/events`, `/slack/interactions`), over HTTP to firebell's own
//! endpoints, signed with the bot's clock. Nothing here calls into firebell directly: the demo
//! runs the same verification, acknowledgement and outbox as a real install.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::clock::{Clock, SkippableClock};
use crate::slack::signature;
use crate::standin::{APP_ID, BOT_USER_ID, Message, SlackStandIn, TEAM_ID};

/// How long firebell has to answer one request (it acknowledges within 3 s by design).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// When an event firebell did not take is delivered again (Slack: at once, after a minute,
/// after five; shortened for the demo).
const EVENT_RETRIES: [Duration; 3] = [Duration::from_secs(1), Duration::from_secs(2), Duration::from_secs(4)];

/// Why an action could not be done, in words for the page.
#[derive(Debug, thiserror::Error)]
pub enum ActError {
    #[error("{0}")]
    Refused(String),
    #[error("firebell did not answer: {0}")]
    Unreachable(String),
}

/// The Slack side of the demo: the stand-in, and how to reach firebell.
pub struct SlackSide {
    pub slack: Arc<SlackStandIn>,
    /// The bot's clock, which requests are signed with (it may be skipped ahead).
    pub clock: Arc<SkippableClock>,
    /// `http://127.0.0.1:PORT`, firebell's own address, known once it listens.
    pub firebell: std::sync::OnceLock<String>,
    pub signing_secret: String,
    pub webhook_token: String,
    client: reqwest::Client,
    next_event: AtomicU64,
}

/// What firebell answered a `view_submission`.
#[derive(Debug, PartialEq)]
pub enum Submitted {
    /// The modal closes.
    Closed,
    /// The modal stays, with a message under each named block.
    Errors(Value),
}

impl SlackSide {
    pub fn new(
        slack: Arc<SlackStandIn>,
        clock: Arc<SkippableClock>,
        signing_secret: String,
        webhook_token: String,
    ) -> anyhow::Result<SlackSide> {
        let client = reqwest::Client::builder().timeout(REQUEST_TIMEOUT).build()?;
        let firebell = std::sync::OnceLock::new();
        Ok(SlackSide { slack, clock, firebell, signing_secret, webhook_token, client, next_event: AtomicU64::new(1) })
    }

    /// Moves the bot's clock ahead.
    pub fn skip(&self, by: chrono::Duration) {
        self.clock.skip(by);
    }

    fn firebell(&self) -> Result<&str, ActError> {
        self.firebell.get().map(String::as_str).ok_or_else(|| ActError::Unreachable("firebell is starting".to_owned()))
    }

    /// Posts a signed body to one of firebell's `/slack/*` endpoints; answers status and body.
    async fn send(&self, path: &str, content_type: &str, body: String) -> Result<(u16, String), ActError> {
        self.send_attempt(path, content_type, body, None).await
    }

    /// One delivery; a retry carries Slack's `X-Slack-Retry-Num` and `X-Slack-Retry-Reason`.
    async fn send_attempt(
        &self,
        path: &str,
        content_type: &str,
        body: String,
        retry: Option<usize>,
    ) -> Result<(u16, String), ActError> {
        let timestamp = self.clock.now().timestamp().to_string();
        let signed = signature::sign(self.signing_secret.as_bytes(), &timestamp, body.as_bytes());
        let mut request = self
            .client
            .post(format!("{}{path}", self.firebell()?))
            .header("content-type", content_type)
            .header("x-slack-request-timestamp", timestamp)
            .header("x-slack-signature", signed);
        if let Some(retry) = retry {
            request =
                request.header("x-slack-retry-num", retry.to_string()).header("x-slack-retry-reason", "http_error");
        }
        let answer = request.body(body).send().await.map_err(|e| ActError::Unreachable(e.to_string()))?;
        let status = answer.status().as_u16();
        let text = answer.text().await.map_err(|e| ActError::Unreachable(e.to_string()))?;
        if !(200..300).contains(&status) {
            return Err(ActError::Refused(format!("firebell answered {status}: {text}")));
        }
        Ok((status, text))
    }

    fn channel_name(&self, channel: &str) -> String {
        self.slack.channel(channel).map(|c| c.name).unwrap_or_default()
    }

    fn user_name(&self, user: &str) -> String {
        self.slack.people().into_iter().find(|(id, _)| id == user).map(|(_, name)| name).unwrap_or_default()
    }

    fn member_of(&self, user: &str, channel: &str) -> Result<(), ActError> {
        match self.slack.channel(channel) {
            None => Err(ActError::Refused(format!("there is no channel {channel}"))),
            Some(c) if c.archived => Err(ActError::Refused(format!("#{} is archived", c.name))),
            Some(c) if (c.is_private || c.is_im) && !c.members.iter().any(|m| m == user) => {
                Err(ActError::Refused(format!("{} is not in #{}", self.user_name(user), c.name)))
            }
            Some(_) => Ok(()),
        }
    }

    /// `/incident TEXT` typed by `user` in `channel`; the immediate reply is shown to them.
    pub async fn command(&self, user: &str, channel: &str, text: &str) -> Result<(), ActError> {
        self.member_of(user, channel)?;
        let (response_url, trigger_id) = (self.slack.response_url_for(user, channel), self.slack.trigger_for(user));
        let (channel_name, user_name) = (self.channel_name(channel), self.user_name(user));
        let form = serde_urlencoded::to_string([
            ("token", "demo"),
            ("team_id", TEAM_ID),
            ("team_domain", "firebell-demo"),
            ("channel_id", channel),
            ("channel_name", &channel_name),
            ("user_id", user),
            ("user_name", &user_name),
            ("command", "/incident"),
            ("text", text),
            ("api_app_id", APP_ID),
            ("is_enterprise_install", "false"),
            ("response_url", &response_url),
            ("trigger_id", &trigger_id),
        ])
        .map_err(|e| ActError::Refused(e.to_string()))?;
        let (_, body) = self.send("/slack/commands", "application/x-www-form-urlencoded", form).await?;
        if let Ok(reply) = serde_json::from_str::<Value>(&body) {
            let text = reply["text"].as_str().unwrap_or_default();
            let blocks = reply.get("blocks").cloned().unwrap_or(Value::Null);
            if !text.is_empty() || !blocks.is_null() {
                self.slack.show_ephemeral(channel, user, text, blocks);
            }
        }
        Ok(())
    }

    fn event_id(&self) -> String {
        format!("Ev0DEMO{:08}", self.next_event.fetch_add(1, Ordering::Relaxed))
    }

    async fn event(&self, event: Value) -> Result<(), ActError> {
        let envelope = json!({
            "token": "demo", "team_id": TEAM_ID, "api_app_id": APP_ID, "event": event,
            "type": "event_callback", "event_id": self.event_id(), "event_time": self.clock.now().timestamp(),
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": true}],
        });
        // Slack delivers an event again when the app did not take it (three retries, over
        // minutes; here over seconds, so the demo shows the effect while one waits for it).
        let body = envelope.to_string();
        let mut sent = self.send("/slack/events", "application/json", body.clone()).await;
        for (retry, wait) in EVENT_RETRIES.iter().enumerate() {
            if sent.is_ok() {
                break;
            }
            tokio::time::sleep(*wait).await;
            sent = self.send_attempt("/slack/events", "application/json", body.clone(), Some(retry + 1)).await;
        }
        sent.map(|_| ())
    }

    fn channel_type(&self, channel: &str) -> &'static str {
        match self.slack.channel(channel) {
            Some(c) if c.is_im => "im",
            Some(c) if c.is_private => "group",
            _ => "channel",
        }
    }

    /// `user` writes `text` in `channel` (in a thread when `thread_ts`); firebell hears it.
    pub async fn message(
        &self,
        user: &str,
        channel: &str,
        text: &str,
        thread_ts: Option<&str>,
    ) -> Result<(), ActError> {
        self.member_of(user, channel)?;
        if text.trim().is_empty() {
            return Err(ActError::Refused("the message is empty".to_owned()));
        }
        let ts = self.slack.add_message(channel, user, text, thread_ts);
        let mut event = json!({
            "type": "message", "channel": channel, "user": user, "text": text, "ts": ts,
            "event_ts": ts, "channel_type": self.channel_type(channel), "team": TEAM_ID,
        });
        if let Some(thread_ts) = thread_ts {
            event["thread_ts"] = json!(thread_ts);
        }
        self.event(event).await
    }

    /// `user` adds (or takes back) the reaction `name` on a message; firebell hears it.
    pub async fn react(&self, user: &str, channel: &str, ts: &str, name: &str) -> Result<(), ActError> {
        self.member_of(user, channel)?;
        let name = name.trim_matches(':');
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "_+-".contains(c)) {
            return Err(ActError::Refused(format!("\"{name}\" is not a reaction name")));
        }
        let added = self
            .slack
            .toggle_reaction(channel, ts, user, name)
            .ok_or_else(|| ActError::Refused("that message is not there any more".to_owned()))?;
        let author = self.slack.message(channel, ts).map(|m| m.user).unwrap_or_default();
        self.event(json!({
            "type": if added { "reaction_added" } else { "reaction_removed" },
            "user": user, "reaction": name, "item_user": author,
            "item": {"type": "message", "channel": channel, "ts": ts}, "event_ts": ts,
        }))
        .await
    }

    fn who(&self, user: &str) -> Value {
        let name = self.user_name(user);
        json!({"id": user, "username": name, "name": name, "team_id": TEAM_ID})
    }

    /// Sends an interaction of `kind` by `user`: what every payload carries (team, user, app,
    /// and a fresh `trigger_id` except for `view_closed`, which opens nothing) plus `fields`.
    async fn interaction(&self, kind: &str, user: &str, fields: Value) -> Result<String, ActError> {
        let mut payload = json!({
            "type": kind, "team": {"id": TEAM_ID, "domain": "firebell-demo"}, "user": self.who(user),
            "api_app_id": APP_ID, "token": "demo",
        });
        if kind != "view_closed" {
            payload["trigger_id"] = json!(self.slack.trigger_for(user));
        }
        if let (Some(payload), Value::Object(fields)) = (payload.as_object_mut(), fields) {
            payload.extend(fields);
        }
        let form = serde_urlencoded::to_string([("payload", payload.to_string())])
            .map_err(|e| ActError::Refused(e.to_string()))?;
        self.send("/slack/interactions", "application/x-www-form-urlencoded", form).await.map(|(_, body)| body)
    }

    /// A message of `channel` still there, or why not.
    fn message_in(&self, channel: &str, ts: &str) -> Result<Message, ActError> {
        self.slack
            .message(channel, ts)
            .ok_or_else(|| ActError::Refused("that message is not there any more".to_owned()))
    }

    /// A click on a button or a choice in a menu of a message (or an ephemeral: `ts` is then
    /// its id) in `channel`.
    pub async fn act_on_message(&self, user: &str, channel: &str, ts: &str, action: Value) -> Result<(), ActError> {
        self.member_of(user, channel)?;
        let (message, ephemeral) = match self.slack.ephemeral(ts) {
            Some(e) if e.user == user && e.channel == channel => {
                (json!({"type": "message", "ts": e.id, "text": e.text, "blocks": e.blocks}), true)
            }
            _ => {
                let m = self.message_in(channel, ts)?;
                (json!({"type": "message", "user": m.user, "ts": m.ts, "text": m.text, "blocks": m.blocks}), false)
            }
        };
        let fields = json!({
            "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": ephemeral},
            "channel": {"id": channel, "name": self.channel_name(channel)}, "message": message,
            "response_url": self.slack.response_url_for(user, channel),
            "actions": [stamped(action, self.clock.now().timestamp())],
        });
        self.interaction("block_actions", user, fields).await.map(|_| ())
    }

    /// A click or a choice inside the modal `view_id` open on `user`'s screen.
    pub async fn act_in_view(&self, user: &str, view_id: &str, action: Value) -> Result<(), ActError> {
        let view = self.view_of(user, view_id)?;
        let fields = json!({
            "container": {"type": "view", "view_id": view_id}, "view": view,
            "actions": [stamped(action, self.clock.now().timestamp())],
        });
        self.interaction("block_actions", user, fields).await.map(|_| ())
    }

    fn view_of(&self, user: &str, view_id: &str) -> Result<Value, ActError> {
        if !self.slack.views_open_for(user).iter().any(|id| id == view_id) {
            return Err(ActError::Refused("that form is not open any more".to_owned()));
        }
        self.slack
            .open_view_for(user)
            .filter(|v| v["id"] == view_id)
            .ok_or_else(|| ActError::Refused("another form is open on top of that one".to_owned()))
    }

    /// `user` submits the modal with `values` (Slack's `view.state.values`).
    pub async fn submit(&self, user: &str, view_id: &str, values: Value) -> Result<Submitted, ActError> {
        let mut view = self.view_of(user, view_id)?;
        view["state"] = json!({"values": values});
        let body = self.interaction("view_submission", user, json!({"view": view})).await?;
        let answer: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        match answer["response_action"].as_str() {
            Some("errors") => Ok(Submitted::Errors(answer["errors"].clone())),
            Some("update") | Some("push") => {
                // Slack would replace or stack the view; firebell answers with `errors` or
                // nothing, so this is kept simple: the new view is shown on its own.
                self.slack.close_view(view_id);
                Ok(Submitted::Closed)
            }
            Some("clear") => {
                for id in self.slack.views_open_for(user) {
                    self.slack.close_view(&id);
                }
                Ok(Submitted::Closed)
            }
            _ => {
                self.slack.close_view(view_id);
                Ok(Submitted::Closed)
            }
        }
    }

    /// `user` closes the modal (Cancel); firebell hears `view_closed` when it asked to.
    pub async fn close(&self, user: &str, view_id: &str) -> Result<(), ActError> {
        let view = self.view_of(user, view_id)?;
        self.slack.close_view(view_id);
        if view["notify_on_close"].as_bool() == Some(true) {
            self.interaction("view_closed", user, json!({"view": view, "is_cleared": false})).await?;
        }
        Ok(())
    }

    /// The message shortcut "Declare incident" on a message.
    pub async fn shortcut(&self, user: &str, channel: &str, ts: &str) -> Result<(), ActError> {
        self.member_of(user, channel)?;
        let message = self.message_in(channel, ts)?;
        let fields = json!({
            "callback_id": "report_incident", "action_ts": ts,
            "response_url": self.slack.response_url_for(user, channel),
            "channel": {"id": channel, "name": self.channel_name(channel)}, "message_ts": ts,
            "message": {"type": "message", "user": message.user, "ts": message.ts, "text": message.text},
        });
        self.interaction("message_action", user, fields).await.map(|_| ())
    }

    /// A sample Prometheus Alertmanager alert at firebell's webhook, as Alertmanager sends it.
    pub async fn fire_alert(&self, sample: SampleAlert) -> Result<(), ActError> {
        let now = self.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let alert = sample.payload(&now);
        let answer = self
            .client
            .post(format!("{}/webhooks/alertmanager", self.firebell()?))
            .bearer_auth(&self.webhook_token)
            .json(&alert)
            .send()
            .await
            .map_err(|e| ActError::Unreachable(e.to_string()))?;
        match answer.status().as_u16() {
            200..=299 => Ok(()),
            status => Err(ActError::Refused(format!("the alert webhook answered {status}"))),
        }
    }
}

/// The demo's two sample alerts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SampleAlert {
    /// Checkout's latency, a warning: no rule matches, so firebell offers it in the triage
    /// channel (Declare / Dismiss, or ✅ / ❌ on the prompt).
    Prompt,
    /// Payments' 5xx ratio, critical: the policy's rule declares a SEV2 at once.
    Declare,
}

impl SampleAlert {
    fn payload(self, now: &str) -> Value {
        let (name, service, severity, summary, description, fingerprint) = match self {
            SampleAlert::Prompt => (
                "CheckoutLatencyHigh",
                "checkout",
                "warning",
                "Checkout p99 latency above 2s",
                "p99 latency of POST /checkout is 3.4s on checkout-2",
                "d3m0c4ec0a7e1a7e",
            ),
            SampleAlert::Declare => (
                "PaymentsErrorRate",
                "payments",
                "critical",
                "Payments 5xx ratio above 5%",
                "5xx ratio is 12% on pay-1 since the last deploy",
                "d3m0a1e8e2a5f9d3",
            ),
        };
        json!({
            "version": "4", "groupKey": format!("{{}}:{{alertname=\"{name}\"}}"), "truncatedAlerts": 0,
            "status": "firing", "receiver": "firebell", "groupLabels": {"alertname": name},
            "commonLabels": {"alertname": name, "service": service, "severity": severity},
            "commonAnnotations": {"summary": summary},
            "externalURL": "http://alertmanager.demo:9093",
            "alerts": [{
                "status": "firing",
                "labels": {"alertname": name, "service": service, "severity": severity, "instance": format!("{service}-1")},
                "annotations": {"summary": summary, "description": description},
                "startsAt": now, "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": format!("http://prometheus.demo:9090/graph?g0.expr={name}"),
                "fingerprint": fingerprint,
            }],
        })
    }
}

/// An action as Slack sends it: what the element carried plus the moment of the click.
fn stamped(mut action: Value, now: i64) -> Value {
    if action.get("type").is_none() {
        action["type"] = json!(if action.get("selected_option").is_some() { "static_select" } else { "button" });
    }
    if action.get("block_id").is_none() {
        action["block_id"] = json!("");
    }
    action["action_ts"] = json!(format!("{now}.000000"));
    action
}
