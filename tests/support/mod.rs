//! Test support shared by the end-to-end tests: the fake Slack Web API, the app on a random
//! port with a fresh database, and requests signed exactly as Slack signs them.

#![allow(dead_code)]

pub mod app;
pub mod browser;
pub mod database;
pub mod db_fault;
pub mod fake_opsgenie;
pub mod fake_pagerduty;
pub mod fake_slack;
pub mod own_postgres;
pub mod process;
pub mod signing;
pub mod wait;
pub mod workspace;
