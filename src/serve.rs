//! `firebell serve`: wires settings, policy, storage, Slack, HTTP and (with `SLACK_APP_TOKEN`)
//! Socket Mode together, runs the background loops supervised (one that panics is started
//! again, `/readyz` answering 503 meanwhile), and shuts down gracefully when the cancellation
//! token fires.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::app::health::Health;
use crate::clock::{Clock, SystemClock};
use crate::config::env::ServeSettings;
use crate::config::policy;
use crate::domain::ids::{ChannelId, TeamId};
use crate::domain::policy::Policy;
use crate::http::{self, AppState};
use crate::metrics::Metrics;
use crate::slack::client::{SlackApi, SlackCallError};
use crate::store::Store;
use crate::workers::supervise::supervised;
use crate::{socket_mode, workers};

/// A started server.
pub struct Running {
    /// The address actually bound (useful with port 0).
    pub addr: SocketAddr,
    pub app: App,
    /// Resolves when the server has stopped.
    pub handle: JoinHandle<anyhow::Result<()>>,
}

/// Starts everything and returns once the listener is bound; stops when `shutdown` fires.
pub async fn start(
    settings: ServeSettings,
    clock: Arc<dyn Clock>,
    shutdown: CancellationToken,
) -> anyhow::Result<Running> {
    start_with_routes(settings, clock, shutdown, axum::Router::new()).await
}

/// [`start`], with `extra` routes served beside firebell's own on the same listener
/// (`firebell demo`'s page).
pub async fn start_with_routes(
    settings: ServeSettings,
    clock: Arc<dyn Clock>,
    shutdown: CancellationToken,
    extra: axum::Router,
) -> anyhow::Result<Running> {
    for warning in &settings.warnings {
        tracing::warn!("{warning}");
    }
    let loaded = policy::load(policy::locate(settings.common.config_path.as_deref()).as_deref())?;
    for line in policy::summary(&loaded).lines() {
        tracing::info!("{line}");
    }
    // A pager turned on without its key stops the start before anything else is touched.
    let (pagers, pager_warnings) = crate::pagers::Outlets::new(&loaded.policy, &settings.pagers)?;
    for warning in &pager_warnings {
        tracing::warn!("{warning}");
    }
    let store = Store::connect(&settings.common.database_url).await?;
    let applied = store.migrate().await?;
    tracing::info!(database = settings.common.database_url.describe(), migrations.applied = applied, "database ready");

    let metrics = Arc::new(Metrics::default());
    let slack = SlackApi::new(&settings.slack_api_url, &settings.bot_token)?
        .with_metrics(Arc::clone(&metrics))
        .with_pacing(settings.slack_pacing);
    let health = Arc::new(Health::default());
    let team_id = workspace(&slack, settings.team_id.clone(), &health, &store, &clock).await?;
    let policy = Arc::new(loaded.policy);
    tokio::spawn(check_configured_channels(slack.clone(), Arc::clone(&policy), Arc::clone(&health)));

    let app = App {
        store: store.clone(),
        help: Arc::default(),
        policy,
        clock,
        metrics,
        health,
        team_id,
        slack,
        pagers: Arc::new(pagers),
        outbox_wakeup: Arc::new(Notify::new()),
        public_url: settings.public_url.as_deref().map(Arc::from),
    };
    let owner = format!("{}-{}", std::process::id(), uuid_like());
    let outbox = workers::outbox::Pool { owner, lease: settings.job_lease, concurrency: settings.outbox_concurrency };
    // The outbox pool supervises each of its workers; the other loops are supervised whole.
    let worker = tokio::spawn(workers::outbox::run(app.clone(), outbox, shutdown.clone()));
    let reminder_worker = {
        let (app, stop) = (app.clone(), shutdown.clone());
        tokio::spawn(supervised("reminder worker".to_owned(), Arc::clone(&app.health), shutdown.clone(), move || {
            workers::reminders::run(app.clone(), stop.clone())
        }))
    };
    let retention_worker = {
        let (app, stop, retention) = (app.clone(), shutdown.clone(), settings.retention);
        tokio::spawn(supervised("retention worker".to_owned(), Arc::clone(&app.health), shutdown.clone(), move || {
            workers::retention::run(app.clone(), retention, stop.clone())
        }))
    };
    let state = AppState {
        app: Arc::new(app.clone()),
        signing_secret: settings.signing_secret.clone().map(Arc::new),
        webhook_token: settings.webhook_token.clone().map(Arc::new),
        api_token: settings.api_token.clone().map(Arc::new),
        in_flight: http::shed::permits(),
    };
    let socket_mode = settings.app_token.as_ref().map(|app_token| {
        let (app, connections, stop) = (app.clone(), app.slack.with_token(app_token), shutdown.clone());
        tokio::spawn(supervised("Socket Mode".to_owned(), Arc::clone(&app.health), shutdown.clone(), move || {
            socket_mode::run(app.clone(), connections.clone(), stop.clone())
        }))
    });
    let inbound = match (socket_mode.is_some(), state.signing_secret.is_some()) {
        (true, true) => "Socket Mode and HTTP /slack/*",
        (true, false) => "Socket Mode",
        _ => "HTTP /slack/*",
    };
    tracing::info!(slack.inbound = inbound, "Slack traffic arrives over {inbound}");
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("FIREBELL_LISTEN: cannot listen on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "firebell is listening");
    let router = http::router(state).merge(extra);
    let handle = tokio::spawn(async move {
        http::server::serve(listener, router, shutdown).await;
        // Requests and envelopes are done; let the job in flight finish (bounded), then
        // close the store.
        if let Some(socket_mode) = socket_mode {
            let _ = socket_mode.await;
        }
        let _ = reminder_worker.await;
        let _ = retention_worker.await;
        if tokio::time::timeout(SHUTDOWN_GRACE, worker).await.is_err() {
            tracing::warn!("the outbox workers did not stop in time; their jobs will be retried after the lease");
        }
        store.close().await;
        tracing::info!("firebell stopped");
        Ok(())
    });
    Ok(Running { addr, app, handle })
}

/// How long shutdown waits for the jobs in flight (a Slack call times out after 10 s).
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(15);

/// A worker name unique enough across processes and restarts: time and randomness from the OS.
fn uuid_like() -> String {
    use std::hash::{BuildHasher, RandomState};
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{:x}{:x}", nanos, RandomState::new().hash_one(nanos))
}

/// Runs until `shutdown` fires (SIGTERM/SIGINT in the binary).
pub async fn run(settings: ServeSettings, shutdown: CancellationToken) -> anyhow::Result<()> {
    let running = start(settings, Arc::new(SystemClock), shutdown).await?;
    running.handle.await.context("server task")?
}

/// The workspace to accept: `SLACK_TEAM_ID`, else the token's own from `auth.test`. A token
/// that works releases the jobs an earlier run held back for a rejected one (the usual fix
/// for a revoked token is a new one and a restart).
async fn workspace(
    slack: &SlackApi,
    configured: Option<TeamId>,
    health: &Arc<Health>,
    store: &Store,
    clock: &Arc<dyn Clock>,
) -> anyhow::Result<TeamId> {
    if let Some(team_id) = configured {
        // Known already: check the token in the background so start-up does not wait on Slack.
        let (slack, health, expected) = (slack.clone(), Arc::clone(health), team_id.clone());
        let (store, clock) = (store.clone(), Arc::clone(clock));
        tokio::spawn(async move {
            match slack.bot().await {
                Ok(identity) if identity.team_id != expected => tracing::warn!(
                    token.team = %identity.team_id, configured.team = %expected,
                    "SLACK_BOT_TOKEN belongs to another workspace than SLACK_TEAM_ID"
                ),
                Ok(_) => {
                    health.slack_accepted();
                    workers::outbox::release_held_jobs(&store, clock.now()).await;
                }
                Err(SlackCallError::Auth(code)) => health.slack_rejected(&code),
                Err(error) => {
                    tracing::warn!(%error, "auth.test failed; will learn more on the next Slack call")
                }
            }
        });
        return Ok(team_id);
    }
    match slack.bot().await {
        Ok(identity) => {
            tracing::info!(slack.team = %identity.team_id, slack.bot_user = %identity.user_id, "authenticated with Slack");
            workers::outbox::release_held_jobs(store, clock.now()).await;
            Ok(identity.team_id)
        }
        Err(SlackCallError::Auth(code)) => {
            anyhow::bail!("SLACK_BOT_TOKEN: Slack rejected the token ({code}); expected a valid bot token (xoxb-…)")
        }
        Err(error) => anyhow::bail!(
            "SLACK_TEAM_ID: not set, and asking Slack with auth.test failed ({error}); set it or check SLACK_API_URL"
        ),
    }
}

/// Warns, naming the policy key, about each configured channel that does not exist.
async fn check_configured_channels(slack: SlackApi, policy: Arc<Policy>, health: Arc<Health>) {
    let mut channels: Vec<(String, ChannelId)> = Vec::new();
    if let Some(id) = &policy.channels.announcements {
        channels.push(("channels.announcements".to_owned(), id.clone()));
    }
    if let Some(id) = &policy.channels.triage {
        channels.push(("channels.triage".to_owned(), id.clone()));
    }
    for service in &policy.services {
        if let Some(id) = &service.team_channel {
            channels.push((format!("services.{}.team_channel", service.name), id.clone()));
        }
    }
    for (key, channel) in channels {
        match slack.channel_exists(&channel).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(policy.key = key, slack.channel = %channel, "configured channel does not exist or the bot cannot see it")
            }
            Err(SlackCallError::Auth(code)) => {
                health.slack_rejected(&code);
                return;
            }
            Err(error) => {
                tracing::warn!(policy.key = key, slack.channel = %channel, %error, "could not check a configured channel")
            }
        }
    }
}
