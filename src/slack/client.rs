//! The Slack Web API client: slack-morphism pointed at `SLACK_API_URL`, with every failure
//! sorted into what the caller should do about it.
//!
//! The one place that holds the bot token. Calls are bounded by a timeout (hyper's client has
//! none); retrying is not done here but by the outbox, which survives restarts. The typed
//! methods firebell calls live beside this file by subject (`messages`, `conversations`,
//! `documents`, `people`, `views`); the raw JSON escape hatch ([`SlackApi::raw_post`],
//! [`SlackApi::raw_get`]) is private to them.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;

use serde_json::Value;

use crate::domain::ids::{TeamId, UserId};
use crate::metrics::Metrics;

/// How long one Web API call may take before it counts as a transient failure.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// A call waits this long at most for its pace (see `pacing`); a longer wait gives the job
/// back to the outbox to run again when the slot is free, instead of holding a worker.
const LONGEST_PACE_WAIT: Duration = Duration::from_secs(2);
/// The longest `Retry-After` taken at its word. Slack asks for seconds or a minute; a larger
/// value (a broken proxy, a typo in a header) would hold a method or channel for years, or
/// overflow the clock arithmetic, so it is heard as an hour.
pub const LONGEST_RETRY_AFTER: Duration = Duration::from_secs(60 * 60);

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
            SlackClientError::RateLimitError(limit) => {
                SlackCallError::RateLimited { retry_after: limit.retry_after.map(|wait| wait.min(LONGEST_RETRY_AFTER)) }
            }
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
    /// The pace of this process's calls, shared by every clone.
    pacer: Arc<super::pacing::Pacer>,
    /// The outbox job attempt whose calls these are, when bound to one: a call is not made
    /// once its lease was lost to another worker.
    attempt: Option<Arc<super::Delivery>>,
    /// Set for the calls of a drill's jobs: every message, edit, reply, topic and document
    /// they make is marked DRILL here, on the way out (see `render::drill`).
    drill: Option<Arc<crate::render::drill::DrillMark>>,
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
            pacer: Arc::default(),
            attempt: None,
            drill: None,
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

    /// The same client, making the calls of one outbox job attempt: each call first checks
    /// that the attempt still holds its job.
    pub fn bound_to(&self, attempt: Arc<super::Delivery>) -> SlackApi {
        SlackApi { attempt: Some(attempt), ..self.clone() }
    }

    /// The same client, marking everything it posts as a drill's.
    pub fn marking_drill(&self, mark: crate::render::drill::DrillMark) -> SlackApi {
        SlackApi { drill: Some(Arc::new(mark)), ..self.clone() }
    }

    /// The drill mark of these calls, if they are a drill's.
    pub(super) fn drill_mark(&self) -> Option<&crate::render::drill::DrillMark> {
        self.drill.as_deref()
    }

    /// `text` as it goes out: marked when these calls are a drill's.
    pub(super) fn outgoing_text<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        match self.drill_mark() {
            Some(mark) => std::borrow::Cow::Owned(mark.text(text)),
            None => std::borrow::Cow::Borrowed(text),
        }
    }

    /// Paces calls to Slack's published limits (`true`, the default) or only by Slack's own
    /// 429s (`false`: a Slack stand-in without limits, or a workspace whose limits were raised).
    pub fn with_pacing(mut self, paced: bool) -> SlackApi {
        self.pacer = Arc::new(super::pacing::Pacer::new(paced));
        self
    }

    /// Counts failed calls by method and error code in `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> SlackApi {
        self.metrics = Some(metrics);
        self
    }

    /// Runs one Web API call with the timeout, the latency metric and the sorted error.
    pub(super) async fn call<T, F>(&self, method: &'static str, call: F) -> Result<T, SlackCallError>
    where
        F: AsyncFnOnce(SlackClientSession<'_, SlackClientHyperHttpsConnector>) -> Result<T, SlackClientError>,
    {
        self.pace(method, None).await?;
        if self.attempt.as_ref().is_some_and(|attempt| attempt.is_lost()) {
            return Err(SlackCallError::Transient(format!("{method} not called: the job's lease was lost")));
        }
        let session = self.client.open_session(&self.token);
        let started = std::time::Instant::now();
        let outcome = tokio::time::timeout(CALL_TIMEOUT, call(session)).await;
        if let Some(metrics) = &self.metrics {
            metrics.slack_call_latency(method, started.elapsed());
        }
        match outcome {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => {
                let error = SlackCallError::from_client(error);
                // A post's 429 is about its channel: `post_message` holds that channel.
                if let SlackCallError::RateLimited { retry_after } = &error
                    && method != "chat.postMessage"
                {
                    self.pacer.held(method, None, *retry_after, std::time::Instant::now());
                }
                Err(self.failed(method, error))
            }
            Err(_) => {
                Err(self
                    .failed(method, SlackCallError::Transient(format!("{method} timed out after {CALL_TIMEOUT:?}"))))
            }
        }
    }

    /// Waits for a slot in `method`'s pace (and `channel`'s, for a post): briefly in place, or —
    /// when the wait is long — by giving the job back as rate-limited until the slot is free.
    pub(super) async fn pace(&self, method: &'static str, channel: Option<&str>) -> Result<(), SlackCallError> {
        loop {
            match self.pacer.admit(method, channel, std::time::Instant::now()) {
                Ok(()) => return Ok(()),
                Err(wait) => {
                    if let Some(metrics) = &self.metrics {
                        metrics.count("firebell_slack_paced_total", &[("method", method)]);
                    }
                    if wait > LONGEST_PACE_WAIT {
                        return Err(SlackCallError::RateLimited { retry_after: Some(wait) });
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// Slack answered a post to `channel` with 429: posts there wait `retry_after`.
    pub(super) fn channel_held(&self, channel: &str, retry_after: Option<Duration>) {
        self.pacer.held("chat.postMessage", Some(channel), retry_after, std::time::Instant::now());
    }

    fn failed(&self, method: &'static str, error: SlackCallError) -> SlackCallError {
        tracing::debug!(slack.method = method, slack.error = error.code(), "Slack call failed");
        if let Some(metrics) = &self.metrics {
            metrics.count("firebell_slack_api_errors_total", &[("method", method), ("code", error.code())]);
        }
        error
    }

    /// The escape hatch for the methods slack-morphism lacks or types too strictly for what
    /// firebell sends (Block Kit as JSON, message metadata): a JSON body (`POST`), Slack's
    /// answer as JSON. Only the facade's own files in `slack/` use it.
    pub(super) async fn raw_post(&self, method: &'static str, body: &Value) -> Result<Value, SlackCallError> {
        self.call(method, async |session| session.http_session_api.http_post(method, body, None).await).await
    }

    /// The escape hatch for read methods: query parameters (`GET`), as Slack documents them.
    pub(super) async fn raw_get(
        &self,
        method: &'static str,
        params: &[(&str, String)],
    ) -> Result<Value, SlackCallError> {
        let pairs: Vec<(&str, Option<&String>)> = params.iter().map(|(k, v)| (*k, Some(v))).collect();
        self.call(method, async |session| session.http_session_api.http_get(method, &pairs, None).await).await
    }

    /// Posts an ephemeral reply (seen only by the person, like the command's own reply) to a
    /// slash command's `response_url`: a webhook, with no token and limits of its own. With
    /// `replace`, it replaces the message the command produced (its first reply), so sending
    /// it twice shows it once.
    pub async fn respond_ephemeral(&self, response_url: &str, text: &str, replace: bool) -> Result<(), SlackCallError> {
        let text = self.outgoing_text(text);
        let body = serde_json::json!({"response_type": "ephemeral", "replace_original": replace, "text": text});
        let sent = self.webhooks.post(response_url).json(&body).send().await;
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
    pub(super) async fn upload(&self, upload_url: &str, bytes: Vec<u8>) -> Result<(), SlackCallError> {
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
}
