//! `spawn_app`: the real app on port 0 with a fresh database, talking to a fake Slack.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use firebell::app::App;
use firebell::clock::SystemClock;
use firebell::config::env::Env;
use reqwest::header::CONTENT_TYPE;
use tokio_util::sync::CancellationToken;

use super::database::{self, TestDatabase};
use super::fake_slack::FakeSlack;
use super::signing::{self, SIGNING_SECRET};

/// Every HTTP call a test makes is bounded by this.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A running app and everything around it. Shuts the app down when dropped.
pub struct TestApp {
    pub base_url: String,
    pub client: reqwest::Client,
    pub slack: FakeSlack,
    pub app: App,
    pub database: TestDatabase,
    shutdown: CancellationToken,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// How to start a test app.
#[derive(Default)]
pub struct Options {
    /// Policy file text; `None` uses the built-in defaults.
    pub policy: Option<String>,
    /// A database to use instead of a fresh SQLite file.
    pub database: Option<TestDatabase>,
    /// Extra environment variables.
    pub env: Vec<(&'static str, String)>,
    /// Runs on the fake Slack before the app starts (seed channels, inject faults…).
    pub prepare_slack: Option<fn(&FakeSlack)>,
    /// `serve --http`: with `SLACK_APP_TOKEN` in `env`, serve `/slack/*` too.
    pub http: bool,
}

/// The app with built-in policy on a fresh SQLite database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

/// The app configured by `options`.
pub async fn spawn_app_with(options: Options) -> TestApp {
    let slack = FakeSlack::start().await.expect("the Slack stand-in starts");
    if let Some(prepare) = options.prepare_slack {
        prepare(&slack);
    }
    let database = options.database.unwrap_or_else(database::sqlite);
    let mut vars: HashMap<&'static str, String> = HashMap::from([
        ("SLACK_BOT_TOKEN", "xoxb-test-token".to_owned()),
        ("SLACK_SIGNING_SECRET", SIGNING_SECRET.to_owned()),
        ("SLACK_API_URL", slack.api_url()),
        ("DATABASE_URL", database.url.clone()),
        ("FIREBELL_LISTEN", "127.0.0.1:0".to_owned()),
    ]);
    if let Some(policy) = &options.policy {
        let path = database.write_policy(policy);
        vars.insert("FIREBELL_CONFIG", path.display().to_string());
    }
    vars.extend(options.env);
    let settings =
        Env(move |name: &str| vars.get(name).cloned()).serve_with(options.http).expect("test settings are valid");
    let shutdown = CancellationToken::new();
    let running = tokio::time::timeout(
        REQUEST_TIMEOUT,
        firebell::serve::start(settings, Arc::new(SystemClock), shutdown.clone()),
    )
    .await
    .expect("the app starts within 10 s")
    .expect("the app starts");
    let client = reqwest::Client::builder().timeout(REQUEST_TIMEOUT).build().expect("HTTP client");
    TestApp { base_url: format!("http://{}", running.addr), client, slack, app: running.app, database, shutdown }
}

impl TestApp {
    /// POSTs `body` to `path`, signed as Slack signs it now.
    pub async fn post_signed(&self, path: &str, content_type: &str, body: String) -> reqwest::Response {
        self.post_signed_at(path, content_type, body, signing::now_seconds()).await
    }

    /// POSTs `body` signed with the given timestamp.
    pub async fn post_signed_at(
        &self,
        path: &str,
        content_type: &str,
        body: String,
        timestamp: i64,
    ) -> reqwest::Response {
        let signature = signing::signature_for(timestamp, body.as_bytes());
        self.post_raw(
            path,
            content_type,
            body,
            &[("x-slack-request-timestamp", timestamp.to_string()), ("x-slack-signature", signature)],
        )
        .await
    }

    /// POSTs `body` with exactly these extra headers (for forged or missing signatures).
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: String,
        headers: &[(&str, String)],
    ) -> reqwest::Response {
        let mut request =
            self.client.post(format!("{}{path}", self.base_url)).header(CONTENT_TYPE, content_type).body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        request.send().await.expect("the app answers")
    }

    /// Runs `/incident TEXT` in `channel` as `user` and returns the JSON reply. The
    /// command's `response_url` points at the fake (`response_url("cmd-N")`, one per command).
    pub async fn command_in(&self, text: &str, channel: &str, user: &str) -> serde_json::Value {
        let response = self.command_response(text, channel, user).await;
        assert_eq!(response.status(), 200, "slash commands always get 200");
        response.json().await.expect("a JSON reply")
    }

    /// Runs `/incident TEXT` and returns the raw HTTP response.
    pub async fn command_response(&self, text: &str, channel: &str, user: &str) -> reqwest::Response {
        // Each command its own `response_url`, as Slack gives.
        static COMMANDS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COMMANDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let response_url = self.slack.response_url(&format!("cmd-{n}"));
        let form = signing::command_form_full(signing::TEAM_ID, text, channel, user, &response_url);
        self.post_signed("/slack/commands", "application/x-www-form-urlencoded", form).await
    }

    /// Waits (bounded) until the outbox has no pending or running job; then every message
    /// firebell posted must have carried its job's delivery key (posted once per job, however
    /// often the job was retried).
    pub async fn outbox_drained(&self) {
        self.outbox_drained_within(super::wait::DEADLINE).await;
    }

    /// [`TestApp::outbox_drained`] with a deadline of its own.
    pub async fn outbox_drained_within(&self, limit: Duration) {
        let store = self.app.store.clone();
        super::wait::until_within(limit, "the outbox to drain", || {
            let store = store.clone();
            // A read that waited too long for a connection (the app's workers hold them all on
            // a loaded machine) is only a look that failed: look again, until the deadline.
            async move { store.unfinished_jobs().await.is_ok_and(|jobs| jobs == 0) }
        })
        .await;
        let unkeyed = self.slack.posts_without_delivery_key();
        assert!(unkeyed.is_empty(), "posts made without a delivery: {unkeyed:#?}");
    }

    /// Runs `/incident TEXT` in a general channel.
    pub async fn command(&self, text: &str) -> serde_json::Value {
        self.command_in(text, "C0GENERAL", "U0REPORTER").await
    }

    /// Sends an Events API body, signed, with optional retry headers.
    pub async fn event(&self, body: String, retry_num: Option<u32>) -> reqwest::Response {
        let timestamp = signing::now_seconds();
        let mut headers = vec![
            ("x-slack-request-timestamp", timestamp.to_string()),
            ("x-slack-signature", signing::signature_for(timestamp, body.as_bytes())),
        ];
        if let Some(retry) = retry_num {
            headers.push(("x-slack-retry-num", retry.to_string()));
            headers.push(("x-slack-retry-reason", "http_timeout".to_owned()));
        }
        self.post_raw("/slack/events", "application/json", body, &headers).await
    }

    /// Sends `/incident TEXT` over Socket Mode and returns the acknowledgement's payload
    /// (`Null` for an empty acknowledgement).
    pub async fn socket_command(&self, text: &str, channel: &str, user: &str) -> serde_json::Value {
        let payload = signing::command_payload(text, channel, user, &self.slack.response_url("cmd"));
        let id = self
            .slack
            .socket
            .send_envelope("slash_commands", payload, true, 0)
            .expect("a Socket Mode connection is open");
        self.socket_ack(&id).await["payload"].clone()
    }

    /// Waits (bounded) for the acknowledgement of an envelope and returns it.
    pub async fn socket_ack(&self, envelope_id: &str) -> serde_json::Value {
        let hub = &self.slack.socket;
        super::wait::until_sync(&format!("the acknowledgement of {envelope_id}"), || !hub.acks(envelope_id).is_empty())
            .await;
        hub.acks(envelope_id).remove(0)
    }

    /// Waits (bounded) until the app has an open Socket Mode connection, `opened` in all.
    pub async fn socket_connected(&self, opened: usize) {
        let hub = &self.slack.socket;
        super::wait::until_sync(&format!("Socket Mode connection #{opened}"), || {
            hub.opened() >= opened && hub.open_now() == 1
        })
        .await;
    }

    /// GETs `path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.base_url)).send().await.expect("the app answers")
    }
}
