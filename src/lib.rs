//! firebell: a Slack incident-response bot.
//!
//! The map, from the edge inwards:
//!
//! - [`cli`] — the `firebell` commands: `serve`, `migrate`, `check-config`, `manifest`,
//!   `retro` and `simulate`. `main.rs` only calls [`cli::main`].
//! - [`config`] — the environment (read in one place) and the policy file, validated once.
//! - [`serve`] — wiring: settings → store → Slack → HTTP and Socket Mode → workers, with
//!   graceful shutdown.
//! - [`http`] — the axum server: `/slack/*` (verified before anything else), `/webhooks/*`
//!   for alerts, health, readiness and metrics. Thin: parse, hand to [`app`], answer.
//! - [`socket_mode`] — the other way Slack traffic arrives (`SLACK_APP_TOKEN`): a WebSocket
//!   whose envelopes go through the same inbound types and app calls as [`http`].
//! - [`slack`] — everything that speaks Slack: request signatures, inbound payload types,
//!   the actions read from interactions, events, and the typed Web API facade (a post that
//!   must happen once takes the outbox attempt's `Delivery`).
//! - [`integrations`] — alert webhook payloads (Alertmanager, Grafana, Datadog) parsed into alerts.
//! - [`pagers`] — the external pagers' typed clients (PagerDuty Events API v2, Opsgenie alerts),
//!   each failure sorted into rate-limited, transient or refused; retries are the outbox's.
//! - [`app`] — use cases: decide with the domain, record, reply; Slack side effects become
//!   outbox jobs, whose steps (`app::jobs`, one table of kinds) run with a narrower
//!   `StepContext`.
//! - [`workers`] — background loops: the outbox worker that delivers every Slack side effect,
//!   the reminder worker, and the retention worker that prunes old jobs and deliveries and
//!   drops the message text of long-closed incidents when the policy says so; each runs
//!   supervised (started again after a panic, `/readyz` saying so meanwhile).
//! - [`domain`] — the pure core: ids, incident vocabulary, policy types, the `/incident`
//!   grammar, the lifecycle, alerts, changes, reminders, the typed timeline entries, the retrospective,
//!   statistics, the policy dry run, text safety. No I/O, no async, no clock.
//! - [`render`] — Block Kit messages, modals, topics and the retrospective's Markdown from
//!   domain values (pure; depends on the domain only).
//! - [`report`] — incident reports in each company's format: Jinja templates (built in, or files the
//!   policy names) rendered with the incident's variables; pure, like [`render`].
//! - [`catalog`] — every word the bot says, in English and Korean.
//! - [`store`] — SQL on SQLite or PostgreSQL through one set of portable queries.
//! - [`manifest`] — the Slack app manifest, pointed at an install.
//! - [`metrics`] — counters and histograms served on `/metrics`.
//! - [`clock`] — the one place that reads the wall clock (and the demo's clock that skips ahead).
//! - [`standin`] — the Slack stand-in: a local Slack Web API with a workspace in memory, which
//!   `firebell demo` and the end-to-end tests both run the bot against.
//! - [`demo`] — `firebell demo`: the bot, the stand-in and a page at `/demo` to act in.

pub mod app;
pub mod catalog;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod http;
pub mod integrations;
pub mod manifest;
pub mod metrics;
pub mod pagers;
pub mod render;
pub mod report;
pub mod serve;
pub mod slack;
pub mod socket_mode;
pub mod standin;
pub mod store;
pub mod workers;

#[cfg(test)]
mod hostile_input_tests;
