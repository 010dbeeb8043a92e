//! `firebell demo`: the real bot — the same `serve`, policy, outbox, reminders and database —
//! against the Slack stand-in embedded in the binary ([`crate::standin`], the one the tests use),
//! with a page at `/demo` that shows a small workspace to act in. No Slack workspace needed.
//!
//! - [`workspace`] — the sample people and channels; `policy.toml` the policy they work under.
//! - [`slack_side`] — what Slack does when a person acts: signed requests to firebell's own
//!   `/slack/*` endpoints, Alertmanager's webhook, and the clock skipped ahead.
//! - [`page`] — `/demo`, its assets and its JSON API (`docs/demo-api.md`).
//! - [`snapshot`] — the workspace as one person sees it, for the page.
//! - [`scenario`] — `--scenario`: a scripted SEV2 from alert to retrospective.

pub mod page;
pub mod scenario;
pub mod slack_side;
pub mod snapshot;
pub mod workspace;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::clock::SkippableClock;
use crate::config::env::Env;
use crate::standin::{SlackStandIn, TOKEN};
use scenario::Progress;
use slack_side::SlackSide;

/// The policy the demo runs with.
const POLICY: &str = include_str!("policy.toml");

/// How `firebell demo` runs.
#[derive(Clone, Debug)]
pub struct Options {
    pub listen: SocketAddr,
    pub korean: bool,
    /// Play the scripted scenario, `pace` between steps.
    pub scenario: Option<Duration>,
    /// `sqlite://…` or `postgres://…`; `None` makes a SQLite file in a fresh temporary directory.
    pub database: Option<String>,
}

/// A started demo.
pub struct Running {
    /// Where firebell and the page listen.
    pub addr: SocketAddr,
    pub slack: Arc<SlackStandIn>,
    pub side: Arc<SlackSide>,
    pub scenario: Option<Arc<Progress>>,
    pub server: crate::serve::Running,
    /// The temporary directory made for the database and policy (removed by [`Running::stop`]).
    pub scratch: PathBuf,
}

impl Running {
    /// `http://ADDR/demo`.
    pub fn url(&self) -> String {
        format!("http://{}/demo", self.addr)
    }

    /// Waits for the server to stop (after `shutdown` fired), then removes the scratch directory.
    pub async fn stop(self) -> anyhow::Result<()> {
        let stopped = self.server.handle.await.context("server task")?;
        let _ = std::fs::remove_dir_all(&self.scratch);
        stopped
    }
}

/// Starts the stand-in, seeds it, and starts firebell against it with the demo's routes.
pub async fn start(mut options: Options, shutdown: CancellationToken) -> anyhow::Result<Running> {
    // Tried first, to say which flag to change when the port is taken; and with port 0 the
    // page's links (the dashboard's) need the real port before firebell binds it.
    let probe = std::net::TcpListener::bind(options.listen).with_context(|| {
        format!(
            "--listen {}: cannot listen there (is another firebell demo running?); choose another address",
            options.listen
        )
    })?;
    options.listen = probe.local_addr()?;
    drop(probe);
    let scratch = scratch_dir()?;
    let slack = Arc::new(SlackStandIn::start().await.context("the Slack stand-in could not listen on 127.0.0.1")?);
    workspace::seed(&slack, options.korean);
    let policy_path = scratch.join("policy.toml");
    std::fs::write(&policy_path, policy(options.korean)).context("writing the demo policy")?;
    let database =
        options.database.clone().unwrap_or_else(|| format!("sqlite://{}", scratch.join("demo.db").display()));
    let (signing_secret, webhook_token) = (secret()?, secret()?);
    let public_url = format!("http://{}", options.listen);
    let vars: HashMap<&str, String> = HashMap::from([
        ("SLACK_BOT_TOKEN", TOKEN.to_owned()),
        ("SLACK_SIGNING_SECRET", signing_secret.clone()),
        ("SLACK_API_URL", slack.api_url()),
        ("DATABASE_URL", database),
        ("FIREBELL_CONFIG", policy_path.display().to_string()),
        ("FIREBELL_LISTEN", options.listen.to_string()),
        ("FIREBELL_WEBHOOK_TOKEN", webhook_token.clone()),
        ("FIREBELL_PUBLIC_URL", public_url),
    ]);
    let settings = Env(move |name: &str| vars.get(name).cloned()).serve_with(false)?;
    let clock = Arc::new(SkippableClock::default());
    let side = Arc::new(SlackSide::new(Arc::clone(&slack), Arc::clone(&clock), signing_secret, webhook_token)?);
    let scenario = options.scenario.map(|_| Arc::new(Progress::default()));
    let app = Arc::new(OnceLock::new());
    let demo = page::Demo {
        side: Arc::clone(&side),
        korean: options.korean,
        scenario: scenario.clone(),
        app: Arc::clone(&app),
    };
    let server = crate::serve::start_with_routes(settings, clock, shutdown, page::routes(demo)).await?;
    let _ = app.set(server.app.clone());
    let _ = side.firebell.set(format!("http://{}", server.addr));
    if let (Some(pace), Some(progress)) = (options.scenario, scenario.clone()) {
        let (side, app, korean) = (Arc::clone(&side), server.app.clone(), options.korean);
        tokio::spawn(async move { scenario::play(&side, &app, &progress, pace, korean).await });
    }
    Ok(Running { addr: server.addr, slack, side, scenario, server, scratch })
}

/// Runs until `shutdown` fires (Ctrl-C in the binary).
pub async fn run(options: Options, shutdown: CancellationToken) -> anyhow::Result<()> {
    let kept = options.database.is_some();
    let running = start(options, shutdown).await?;
    let url = running.url();
    println!("firebell demo is running: open {url}");
    if kept {
        println!(
            "(a local Slack stand-in; nothing leaves this machine. Ctrl-C stops it; --database keeps firebell's records.)"
        );
    } else {
        println!("(a local Slack stand-in; nothing leaves this machine. Ctrl-C stops it and deletes its data.)");
    }
    running.stop().await
}

/// The demo's policy, in Korean (and Seoul's time) with `--locale ko`.
fn policy(korean: bool) -> String {
    if korean {
        POLICY
            .replacen("timezone = \"UTC\"", "timezone = \"Asia/Seoul\"", 1)
            .replacen("locale = \"en\"", "locale = \"ko\"", 1)
            .replace("builtin:en-report", "builtin:ko-report")
            .replace("title = \"Initial incident report\"", "title = \"초기 장애 보고\"")
            .replace("title = \"Incident report\"", "title = \"장애 보고서\"")
    } else {
        POLICY.to_owned()
    }
}

/// A fresh directory under the system's temporary directory.
fn scratch_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "firebell-demo-{}-{}",
        std::process::id(),
        secret()?.get(..8).unwrap_or("0")
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot make {}", dir.display()))?;
    Ok(dir)
}

/// 32 random hex digits from the operating system.
fn secret() -> anyhow::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness from the operating system: {e}"))?;
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_korean_policy_speaks_korean_in_seoul_time() {
        let korean = policy(true);
        assert!(korean.contains("locale = \"ko\"") && korean.contains("timezone = \"Asia/Seoul\""));
        assert!(korean.contains("builtin:ko-report") && !korean.contains("builtin:en-report"));
        assert!(policy(false).contains("locale = \"en\""));
    }

    #[test]
    fn the_demo_policy_is_valid_and_names_the_seeded_channels() {
        for korean in [false, true] {
            let (loaded, problems) = crate::config::policy::parse_str(&policy(korean), "policy.toml").unwrap();
            assert!(problems.is_empty(), "{problems:?}");
            let announcements = loaded.channels.announcements.unwrap();
            assert!(workspace::CHANNELS.iter().any(|(id, _)| *id == announcements.as_str()));
            for service in &loaded.services {
                let team = service.team_channel.as_ref().unwrap();
                assert!(workspace::CHANNELS.iter().any(|(id, _)| *id == team.as_str()), "{}", service.name);
            }
        }
    }
}
