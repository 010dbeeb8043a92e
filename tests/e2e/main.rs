//! End-to-end tests: the real app over HTTP, a fresh database, a fake Slack.
//!
//! One test binary with a module per feature: each `tests/*.rs` file would link the whole
//! dependency tree again, which costs minutes on two cores.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests and their support fail loudly on purpose"
)]

#[path = "../support/mod.rs"]
mod support;

mod adoption;
mod alert_crash;
mod alert_groups;
mod alerts;
mod api;
mod changes;
mod cli;
mod commands;
mod crash;
mod dashboard;
mod database_trouble;
mod declare;
mod degradation;
mod delivery;
mod demo;
mod drill;
mod events;
mod fake_slack;
mod fanout;
mod fields;
mod injection;
mod interactions;
mod korean;
mod lifecycle;
mod listening;
mod oncall;
mod ops;
mod outbox;
mod pagers;
mod paging;
mod reminders;
mod reports;
mod retention;
mod retro;
mod search;
mod socket_mode;
mod stalls;
mod storage;
mod uncertain;
mod verification;
mod war_room;
