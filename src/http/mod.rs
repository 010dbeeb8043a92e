//! The HTTP edge: routes, request verification, and the mapping of outcomes to responses.
//!
//! Handlers are thin: verify, parse into a typed inbound value, call the app, answer.

mod api;
mod commands;
mod dashboard;
pub mod deadline;
mod error;
mod events;
mod interactions;
mod observe;
mod ops;
pub mod server;
pub mod shed;
mod verify;
mod webhooks;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use secrecy::{ExposeSecret, SecretString};

use crate::app::App;
use crate::slack::signature::SigningKey;

pub use error::HttpError;

/// The largest body accepted on `/slack/*`; larger ones get 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The largest form accepted from the dashboard (a 3,000-character text, encoded, fits).
pub const DASHBOARD_FORM_BYTES: usize = 64 * 1024;

/// What every handler can reach. Every request clones its state (axum's `State`), once per
/// middleware and once for the handler: the app is behind an `Arc` so that a clone is one
/// reference count, not the dozen an `App` holds (a tenth of `help`'s time in a profile).
#[derive(Clone)]
pub struct AppState {
    pub app: Arc<App>,
    /// `SLACK_SIGNING_SECRET`; `None` (Socket Mode only) leaves `/slack/*` unrouted: 404.
    pub signing_secret: Option<Arc<SecretString>>,
    /// `FIREBELL_WEBHOOK_TOKEN`; `None` disables the webhooks (503).
    pub webhook_token: Option<Arc<SecretString>>,
    /// `FIREBELL_API_TOKEN`; `None` disables `/api/*` (503).
    pub api_token: Option<Arc<SecretString>>,
    /// Requests in progress on `/slack/*` and `/webhooks/*` ([`shed`]).
    pub in_flight: Arc<tokio::sync::Semaphore>,
}

/// What the `/slack/*` handlers reach: they exist only with a signing secret.
#[derive(Clone)]
pub struct SlackState {
    pub app: Arc<App>,
    /// `SLACK_SIGNING_SECRET`, keyed once for every request's check.
    pub signing_key: Arc<SigningKey>,
}

/// Builds the router; tests and `serve` call the same function.
pub fn router(state: AppState) -> Router {
    let webhooks =
        Router::new().route("/webhooks/{source}", post(webhooks::receive)).layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
    let mut routes = Router::new().merge(webhooks);
    if let Some(signing_secret) = &state.signing_secret {
        let slack = Router::new()
            .route("/slack/commands", post(commands::receive))
            .route("/slack/events", post(events::receive))
            .route("/slack/interactions", post(interactions::receive))
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
            .with_state(SlackState {
                app: Arc::clone(&state.app),
                signing_key: Arc::new(SigningKey::new(signing_secret.expose_secret().as_bytes())),
            });
        routes = routes.merge(slack);
    }
    // The deadline is inside the limit: a request that times out gives its permit back.
    let routes = routes
        .layer(axum::middleware::from_fn(deadline::bound))
        .layer(axum::middleware::from_fn_with_state(state.clone(), shed::limit));
    // The dashboard is served only where people can reach it: with FIREBELL_PUBLIC_URL.
    let routes = if state.app.public_url.is_some() {
        routes
            .route("/", get(dashboard::overview))
            .route("/login/{token}", get(dashboard::login))
            .route("/incidents", get(dashboard::incidents))
            .route(
                "/incidents/{number}",
                get(dashboard::incident).post(dashboard::act).layer(DefaultBodyLimit::max(DASHBOARD_FORM_BYTES)),
            )
            .route("/assets/dashboard.css", get(dashboard::stylesheet))
            .route("/assets/live.js", get(dashboard::live_script))
    } else {
        routes
    };
    routes
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/api/incidents", get(api::incidents))
        .route("/api/incidents/{number}", get(api::incident))
        .route("/api/stats", get(api::stats))
        .layer(axum::middleware::from_fn_with_state(state.clone(), observe::record))
        .with_state(state)
}
