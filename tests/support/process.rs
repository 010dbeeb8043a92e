//! The real `firebell` binary as a child process, for tests that kill it (SIGKILL) and
//! start it again on the same database.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use super::fake_slack::FakeSlack;
use super::signing::{self, SIGNING_SECRET, TEAM_ID};
use super::wait;

/// A running `firebell serve`.
pub struct Firebell {
    child: tokio::process::Child,
    pub base_url: String,
    client: reqwest::Client,
}

/// What a started binary needs: the fake, the database and the policy file.
pub struct Setup<'a> {
    pub slack: &'a FakeSlack,
    pub database_url: &'a str,
    pub policy: &'a Path,
    /// Where the child's log goes (read it when a test fails).
    pub log: PathBuf,
    /// Extra environment variables (override the defaults).
    pub env: Vec<(&'static str, String)>,
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("an address").port()
}

impl Firebell {
    /// Starts `firebell serve` and waits (bounded) until `/healthz` answers.
    pub async fn start(setup: &Setup<'_>) -> Firebell {
        let port = free_port();
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&setup.log).expect("log file");
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_firebell"))
            .arg("serve")
            .env_clear()
            .envs([
                ("SLACK_BOT_TOKEN", "xoxb-test-token".to_owned()),
                ("SLACK_SIGNING_SECRET", SIGNING_SECRET.to_owned()),
                ("SLACK_API_URL", setup.slack.api_url()),
                ("DATABASE_URL", setup.database_url.to_owned()),
                ("FIREBELL_CONFIG", setup.policy.display().to_string()),
                ("FIREBELL_LISTEN", format!("127.0.0.1:{port}")),
                ("RUST_LOG", "info".to_owned()),
            ])
            .envs(setup.env.iter().map(|(k, v)| (*k, v.clone())))
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .expect("firebell starts");
        let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("client");
        let base_url = format!("http://127.0.0.1:{port}");
        let health = format!("{base_url}/healthz");
        wait::until("firebell to answer /healthz", || {
            let (client, health) = (client.clone(), health.clone());
            async move { client.get(&health).send().await.is_ok_and(|r| r.status().is_success()) }
        })
        .await;
        Firebell { child, base_url, client }
    }

    /// Sends a signed `/incident TEXT` from U0REPORTER in C0GENERAL; returns the reply text.
    pub async fn command(&self, text: &str, response_url: &str) -> String {
        self.command_in(text, "C0GENERAL", response_url).await
    }

    /// Sends a signed `/incident TEXT` from U0REPORTER in `channel`; returns the reply text.
    pub async fn command_in(&self, text: &str, channel: &str, response_url: &str) -> String {
        let body = signing::command_form_full(TEAM_ID, text, channel, "U0REPORTER", response_url);
        let response = self.post_form("/slack/commands", body).await;
        let reply: serde_json::Value = response.json().await.expect("a JSON reply");
        reply["text"].as_str().unwrap_or_default().to_owned()
    }

    /// POSTs a signed interaction (a click) with this payload; returns the status.
    pub async fn interaction(&self, payload: &serde_json::Value) -> reqwest::StatusCode {
        self.post_form("/slack/interactions", signing::interaction_form(payload)).await.status()
    }

    /// POSTs a form body to `path`, signed as Slack signs it now.
    async fn post_form(&self, path: &str, body: String) -> reqwest::Response {
        let timestamp = signing::now_seconds();
        self.client
            .post(format!("{}{path}", self.base_url))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-slack-request-timestamp", timestamp.to_string())
            .header("x-slack-signature", signing::signature_for(timestamp, body.as_bytes()))
            .body(body)
            .send()
            .await
            .expect("firebell answers")
    }

    /// POSTs an alert webhook body to `/webhooks/SOURCE` with the bearer `token`; returns the
    /// status.
    pub async fn webhook(&self, source: &str, token: &str, body: &str) -> reqwest::StatusCode {
        let response = self
            .client
            .post(format!("{}/webhooks/{source}", self.base_url))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("firebell answers");
        response.status()
    }

    /// POSTs a signed Events API delivery (a retry when `retry_num` is given); returns the
    /// status.
    pub async fn event(&self, body: &str, retry_num: Option<u32>) -> reqwest::StatusCode {
        let timestamp = signing::now_seconds();
        let mut request = self
            .client
            .post(format!("{}/slack/events", self.base_url))
            .header("content-type", "application/json")
            .header("x-slack-request-timestamp", timestamp.to_string())
            .header("x-slack-signature", signing::signature_for(timestamp, body.as_bytes()));
        if let Some(retry) = retry_num {
            request =
                request.header("x-slack-retry-num", retry.to_string()).header("x-slack-retry-reason", "http_error");
        }
        request.body(body.to_owned()).send().await.expect("firebell answers").status()
    }

    /// SIGTERM, then waits (bounded) for the process to exit; returns its exit status.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().expect("still running");
        let sent = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().expect("kill runs");
        assert!(sent.success());
        tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .expect("exits within 20 s")
            .expect("wait")
    }

    /// SIGKILL: no shutdown, no cleanup, exactly like a crash.
    pub async fn kill(mut self) {
        self.child.start_kill().expect("kill");
        tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .expect("dies within 10 s")
            .expect("wait");
    }
}
