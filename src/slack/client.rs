//! The Slack Web API client: slack-morphism pointed at `SLACK_API_URL`, with every failure
//! sorted into what the caller should do about it.
//!
//! The one place that holds the bot token. Calls are bounded by a timeout (hyper's client has
//! none); retrying is not done here but by the outbox, which survives restarts.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;

use serde_json::{Value, json};

use crate::domain::ids::{ChannelId, TeamId, UserId};
use crate::metrics::Metrics;

/// How long one Web API call may take before it counts as a transient failure.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Slack error codes that mean the token itself is no good: loud, and `/readyz` turns 503.
pub const AUTH_ERRORS: [&str; 6] =
    ["invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive", "no_permission"];

/// Why a call failed, sorted by what to do next.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SlackCallError {
    /// Slack asked us to slow down; try again after `retry_after` (when it said).
    #[error("rate limited by Slack (retry after {retry_after:?})")]
    RateLimited { retry_after: Option<Duration> },
    /// Network trouble, a timeout or an HTTP 5xx: try again later.
    #[error("transient Slack failure: {0}")]
    Transient(String),
    /// The token was rejected: nothing will work until an operator fixes it.
    #[error("Slack rejected the token: {0}")]
    Auth(String),
    /// Slack refused this call (`channel_not_found`, `name_taken`…): retrying will not help.
    #[error("Slack refused the call: {0}")]
    Refused(String),
}

impl SlackCallError {
    /// Sorts a slack-morphism error.
    fn from_client(error: SlackClientError) -> SlackCallError {
        match error {
            SlackClientError::ApiError(api) if api.code == "ratelimited" => {
                SlackCallError::RateLimited { retry_after: None }
            }
            SlackClientError::ApiError(api) if AUTH_ERRORS.contains(&api.code.as_str()) => {
                SlackCallError::Auth(api.code)
            }
            SlackClientError::ApiError(api) => SlackCallError::Refused(api.code),
            SlackClientError::RateLimitError(limit) => SlackCallError::RateLimited { retry_after: limit.retry_after },
            SlackClientError::HttpError(http) if http.status_code.is_server_error() => {
                SlackCallError::Transient(format!("HTTP {}", http.status_code))
            }
            SlackClientError::HttpError(http)
                if http.status_code.as_u16() == 401 || http.status_code.as_u16() == 403 =>
            {
                SlackCallError::Auth(format!("HTTP {}", http.status_code))
            }
            SlackClientError::HttpError(http) => SlackCallError::Refused(format!("HTTP {}", http.status_code)),
            SlackClientError::ProtocolError(protocol) => {
                SlackCallError::Refused(format!("unreadable response: {}", protocol.json_error))
            }
            other => SlackCallError::Transient(other.to_string()),
        }
    }

    /// The Slack error code or a short description, for logs and metrics labels.
    pub fn code(&self) -> &str {
        match self {
            SlackCallError::RateLimited { .. } => "ratelimited",
            SlackCallError::Transient(_) => "transient",
            SlackCallError::Auth(code) | SlackCallError::Refused(code) => code,
        }
    }
}

/// The metadata event type that marks firebell's own deliveries.
const DELIVERY_EVENT: &str = "firebell_delivery";

/// The outbox job a Slack call is made for, while [`deliver`] runs it.
#[derive(Debug)]
struct Delivery {
    job_id: i64,
    /// Whether an earlier attempt of this job may have posted already.
    retry: bool,
    /// Messages posted so far in this attempt, per channel and thread: a job that posts twice
    /// to one place gives each post its own key, the same on every attempt. Only posts that
    /// landed count, so a refused one (`not_in_channel`, then join and post again) does not
    /// shift the keys of those after it.
    posts: std::sync::Mutex<std::collections::HashMap<String, u32>>,
}

impl Delivery {
    fn place(body: &Value) -> String {
        format!("{}/{}", body["channel"].as_str().unwrap_or_default(), body["thread_ts"].as_str().unwrap_or_default())
    }

    /// The key of the next post to this place, and whether an earlier attempt may have made it.
    fn next_key(&self, body: &Value) -> (String, bool) {
        let place = Self::place(body);
        let posts = self.posts.lock().unwrap_or_else(|p| p.into_inner());
        let n = posts.get(&place).copied().unwrap_or(0) + 1;
        (format!("{}:{place}:{n}", self.job_id), self.retry)
    }

    /// A post to this place landed (or was found from an earlier attempt).
    fn landed(&self, body: &Value) {
        let mut posts = self.posts.lock().unwrap_or_else(|p| p.into_inner());
        *posts.entry(Self::place(body)).or_default() += 1;
    }
}

tokio::task_local! {
    static DELIVERY: Delivery;
}

/// Runs `work` — one attempt of outbox job `job_id` (`attempt` counts from 1) — so that the
/// messages it posts are posted once however often the job is retried.
pub async fn deliver<F: std::future::Future>(job_id: i64, attempt: i64, work: F) -> F::Output {
    let delivery = Delivery { job_id, retry: attempt > 1, posts: Default::default() };
    DELIVERY.scope(delivery, work).await
}

/// Who the bot is, from `auth.test`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BotIdentity {
    pub team_id: TeamId,
    pub user_id: UserId,
    /// The workspace's URL (`https://acme.slack.com/`), for permalinks in documents.
    pub url: String,
}

/// The Web API, authenticated as the bot.
#[derive(Clone)]
pub struct SlackApi {
    client: Arc<SlackHyperClient>,
    token: SlackApiToken,
    /// For `response_url` posts, which are plain webhooks outside the Web API.
    webhooks: reqwest::Client,
    metrics: Option<Arc<Metrics>>,
    bot: Arc<tokio::sync::OnceCell<BotIdentity>>,
}

impl std::fmt::Debug for SlackApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SlackApi { token: [REDACTED] }")
    }
}

impl SlackApi {
    /// A client for the Web API at `api_url` (`https://slack.com/api/` or a local fake).
    pub fn new(api_url: &str, bot_token: &SecretString) -> anyhow::Result<SlackApi> {
        // slack-morphism's own constructor is https-only; tests point it at a plain-http fake.
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .context("loading the system's TLS root certificates (install ca-certificates)")?
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .build();
        // slack-morphism joins base and method with a `/` of its own.
        let connector =
            SlackClientHyperConnector::with_connector(https).with_slack_api_url(api_url.trim_end_matches('/'));
        let webhooks =
            reqwest::Client::builder().timeout(CALL_TIMEOUT).build().context("building the webhook client")?;
        Ok(SlackApi {
            client: Arc::new(SlackClient::new(connector)),
            token: SlackApiToken::new(SlackApiTokenValue(bot_token.expose_secret().to_owned())),
            webhooks,
            metrics: None,
            bot: Arc::new(tokio::sync::OnceCell::new()),
        })
    }

    /// The same client authenticated with another token: Socket Mode's app-level token, which
    /// only opens connections.
    pub fn with_token(&self, token: &SecretString) -> SlackApi {
        SlackApi {
            token: SlackApiToken::new(SlackApiTokenValue(token.expose_secret().to_owned())),
            bot: Arc::new(tokio::sync::OnceCell::new()),
            ..self.clone()
        }
    }

    /// `apps.connections.open` (with the app-level token): a fresh Socket Mode WebSocket URL.
    /// The URL carries a one-time ticket, so it is never logged.
    pub async fn open_connection(&self) -> Result<String, SlackCallError> {
        let request = SlackApiAppsConnectionOpenRequest::new();
        let response =
            self.call("apps.connections.open", async |session| session.apps_connections_open(&request).await).await?;
        Ok(response.url.0.to_string())
    }

    /// Counts failed calls by method and error code in `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> SlackApi {
        self.metrics = Some(metrics);
        self
    }

    async fn call<T, F>(&self, method: &'static str, call: F) -> Result<T, SlackCallError>
    where
        F: AsyncFnOnce(SlackClientSession<'_, SlackClientHyperHttpsConnector>) -> Result<T, SlackClientError>,
    {
        let session = self.client.open_session(&self.token);
        let started = std::time::Instant::now();
        let outcome = tokio::time::timeout(CALL_TIMEOUT, call(session)).await;
        if let Some(metrics) = &self.metrics {
            metrics.slack_call_latency(method, started.elapsed());
        }
        match outcome {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(self.failed(method, SlackCallError::from_client(error))),
            Err(_) => {
                Err(self
                    .failed(method, SlackCallError::Transient(format!("{method} timed out after {CALL_TIMEOUT:?}"))))
            }
        }
    }

    fn failed(&self, method: &'static str, error: SlackCallError) -> SlackCallError {
        tracing::debug!(slack.method = method, slack.error = error.code(), "Slack call failed");
        if let Some(metrics) = &self.metrics {
            metrics.count("firebell_slack_api_errors_total", &[("method", method), ("code", error.code())]);
        }
        error
    }

    /// Calls a Web API method with a JSON body (`POST`); returns Slack's answer.
    ///
    /// A `chat.postMessage` made for an outbox job (see [`deliver`]) is posted once per job as
    /// far as Slack can tell us: it carries a delivery key in its metadata, and a retry first
    /// looks for a message with that key — what a crash right after Slack accepted the post
    /// leaves behind — among the channel's last 50 messages or the thread's first 200 replies.
    /// Older than that, or in a DM by user id, the lookup cannot see it.
    pub async fn post(&self, method: &'static str, body: &Value) -> Result<Value, SlackCallError> {
        if method == "chat.postMessage"
            && let Ok((key, retry)) = DELIVERY.try_with(|delivery| delivery.next_key(body))
        {
            let posted = self.post_message_once(body, &key, retry).await;
            if posted.is_ok() {
                let _ = DELIVERY.try_with(|delivery| delivery.landed(body));
            }
            return posted;
        }
        self.raw_post(method, body).await
    }

    async fn raw_post(&self, method: &'static str, body: &Value) -> Result<Value, SlackCallError> {
        self.call(method, async |session| session.http_session_api.http_post(method, body, None).await).await
    }

    async fn post_message_once(&self, body: &Value, key: &str, retry: bool) -> Result<Value, SlackCallError> {
        if retry && let Some(posted) = self.find_delivered(body, key).await? {
            tracing::info!(slack.delivery = key, "found the message an earlier attempt posted; not posting it again");
            return Ok(posted);
        }
        let mut body = body.clone();
        body["metadata"] = json!({"event_type": DELIVERY_EVENT, "event_payload": {"key": key}});
        self.raw_post("chat.postMessage", &body).await
    }

    /// The message an earlier attempt posted with `key`, from the channel's recent history (or
    /// the thread's replies). `None` when there is none, or when Slack refuses the lookup for
    /// good (a DM by user id, a channel the bot cannot read): then the message is posted. A
    /// lookup that fails for now (an outage, a rate limit, a rejected token) is the attempt's
    /// error, so the job is retried rather than posting what may already be there.
    async fn find_delivered(&self, body: &Value, key: &str) -> Result<Option<Value>, SlackCallError> {
        let Some(channel) = body["channel"].as_str() else { return Ok(None) };
        let looked_up = match body["thread_ts"].as_str() {
            Some(thread) => {
                let params = [
                    ("channel", channel.to_owned()),
                    ("ts", thread.to_owned()),
                    ("limit", "200".to_owned()),
                    ("include_all_metadata", "true".to_owned()),
                ];
                self.get("conversations.replies", &params).await
            }
            None => {
                let params = [
                    ("channel", channel.to_owned()),
                    ("limit", "50".to_owned()),
                    ("include_all_metadata", "true".to_owned()),
                ];
                self.get("conversations.history", &params).await
            }
        };
        let answer = match looked_up {
            Ok(answer) => answer,
            Err(SlackCallError::Refused(_)) => return Ok(None),
            Err(error) => return Err(error),
        };
        let found = answer["messages"].as_array().and_then(|messages| {
            messages
                .iter()
                .find(|m| m["metadata"]["event_type"] == DELIVERY_EVENT && m["metadata"]["event_payload"]["key"] == key)
        });
        Ok(found.map(|found| json!({"ok": true, "channel": channel, "ts": found["ts"], "message": found})))
    }

    /// Calls a read method with query parameters (`GET`), as Slack documents them.
    pub async fn get(&self, method: &'static str, params: &[(&str, String)]) -> Result<Value, SlackCallError> {
        let pairs: Vec<(&str, Option<&String>)> = params.iter().map(|(k, v)| (*k, Some(v))).collect();
        self.call(method, async |session| session.http_session_api.http_get(method, &pairs, None).await).await
    }

    /// Posts to a slash command's `response_url` (a webhook: no token, its own limits).
    pub async fn respond(&self, response_url: &str, body: &Value) -> Result<(), SlackCallError> {
        let sent = self.webhooks.post(response_url).json(body).send().await;
        let response =
            sent.map_err(|e| self.failed("response_url", SlackCallError::Transient(e.without_url().to_string())))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else if status.as_u16() == 429 {
            Err(self.failed("response_url", SlackCallError::RateLimited { retry_after: None }))
        } else if status.is_server_error() {
            Err(self.failed("response_url", SlackCallError::Transient(format!("HTTP {status}"))))
        } else {
            // 404 `used_url` / `expired_url`: the URL is spent; retrying cannot help.
            Err(self.failed("response_url", SlackCallError::Refused(format!("HTTP {status}"))))
        }
    }

    /// Sends file bytes to an `upload_url` from `files.getUploadURLExternal`.
    pub async fn upload(&self, upload_url: &str, bytes: Vec<u8>) -> Result<(), SlackCallError> {
        let sent = self.webhooks.post(upload_url).body(bytes).send().await;
        let response =
            sent.map_err(|e| self.failed("file_upload", SlackCallError::Transient(e.without_url().to_string())))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else if status.is_server_error() || status.as_u16() == 429 {
            Err(self.failed("file_upload", SlackCallError::Transient(format!("HTTP {status}"))))
        } else {
            Err(self.failed("file_upload", SlackCallError::Refused(format!("HTTP {status}"))))
        }
    }

    /// The bot's identity if it is known already (never calls Slack: safe on request paths).
    pub fn cached_bot(&self) -> Option<BotIdentity> {
        self.bot.get().cloned()
    }

    /// The bot's own identity, asked once from `auth.test` and remembered.
    pub async fn bot(&self) -> Result<BotIdentity, SlackCallError> {
        self.bot.get_or_try_init(|| self.auth_test()).await.cloned()
    }

    /// `auth.test`: the workspace and user the token belongs to.
    pub async fn auth_test(&self) -> Result<BotIdentity, SlackCallError> {
        let response = self.call("auth.test", async |session| session.auth_test().await).await?;
        let team_id = TeamId::parse(&response.team_id.0)
            .ok_or_else(|| SlackCallError::Refused(format!("auth.test returned team id {:?}", response.team_id.0)))?;
        let user_id = UserId::parse(&response.user_id.0)
            .ok_or_else(|| SlackCallError::Refused(format!("auth.test returned user id {:?}", response.user_id.0)))?;
        Ok(BotIdentity { team_id, user_id, url: response.url.0.to_string() })
    }

    /// `conversations.info`: whether the channel exists and the bot can see it.
    pub async fn channel_exists(&self, channel: &ChannelId) -> Result<bool, SlackCallError> {
        let request = SlackApiConversationsInfoRequest::new(SlackChannelId(channel.as_str().to_owned()));
        match self.call("conversations.info", async |session| session.conversations_info(&request).await).await {
            Ok(_) => Ok(true),
            Err(SlackCallError::Refused(code)) if code == "channel_not_found" => Ok(false),
            Err(other) => Err(other),
        }
    }
}
