//! firebell: a Slack incident-response bot.
//!
//! The map, from the edge inwards:
//!
//! - [`cli`] — the `firebell` commands (`serve`, `migrate`, `check-config`).
//! - [`config`] — the environment (read in one place) and the policy file, validated once.
//! - [`http`] — the axum server: `/slack/*` (verified before anything else), health,
//!   readiness and metrics. Thin: parse, hand to [`app`], answer.
//! - [`socket_mode`] — the other way Slack traffic arrives (`SLACK_APP_TOKEN`): a WebSocket
//!   whose envelopes go through the same inbound types and app calls as [`http`].
//! - [`slack`] — everything that speaks Slack: request signatures, inbound payload types and
//!   the Web API client.
//! - [`integrations`] — alert webhook payloads (Alertmanager, Grafana, Datadog) parsed into alerts.
//! - [`app`] — use cases: decide with the domain, record, reply.
//! - [`domain`] — the pure core: ids, incident vocabulary, policy types, the `/incident`
//!   grammar, text safety, the typed timeline entries. No I/O, no async, no clock.
//! - [`catalog`] — every word the bot says, in English and Korean.
//! - [`store`] — SQL on SQLite or PostgreSQL through one set of portable queries.
//! - [`manifest`] — the Slack app manifest, pointed at an install.
//! - [`render`] — Block Kit messages, modals and topics from domain values (pure).
//! - [`metrics`] — counters and histograms served on `/metrics`.
//! - [`workers`] — background loops: the outbox worker that delivers every Slack side effect.
//! - [`serve`] — wiring: settings → store → Slack → HTTP, with graceful shutdown.

pub mod app;
pub mod catalog;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod http;
pub mod integrations;
pub mod manifest;
pub mod metrics;
pub mod render;
pub mod serve;
pub mod slack;
pub mod socket_mode;
pub mod store;
pub mod workers;

#[cfg(test)]
mod hostile_input_tests;
