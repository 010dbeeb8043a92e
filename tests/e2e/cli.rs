//! The `firebell` binary: help, check-config, migrate, and serve's refusal to start badly.

use std::process::{Command, Output};
use std::time::Duration;

use crate::support::database;
use crate::support::fake_slack::FakeSlack;

const CONTRACT_POLICY: &str = "tests/fixtures/contract_policy.toml";

/// Runs the binary with a clean environment plus `env`, bounded in time.
async fn firebell(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_firebell"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut command = tokio::process::Command::from(command);
    command.kill_on_drop(true);
    tokio::time::timeout(Duration::from_secs(30), command.output())
        .await
        .expect("firebell exits within 30 s")
        .expect("runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn every_subcommand_has_help() {
    for sub in [
        &["--help"][..],
        &["serve", "--help"],
        &["migrate", "--help"],
        &["check-config", "--help"],
    ] {
        let output = firebell(sub, &[]).await;
        assert!(output.status.success(), "{sub:?}");
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("Usage: firebell"),
            "{sub:?}"
        );
    }
}

#[tokio::test]
async fn check_config_accepts_the_contract_example_and_prints_a_summary() {
    let output = firebell(&["check-config", CONTRACT_POLICY], &[]).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("SEV1 (Critical): broad, mentions @here, update every 15m"),
        "{stdout}"
    );
    assert!(stdout.contains("2 service(s)"), "{stdout}");
}

#[tokio::test]
async fn check_config_accepts_the_annotated_example_file() {
    let output = firebell(&["check-config", "firebell.example.toml"], &[]).await;
    assert!(output.status.success(), "{}", stderr(&output));
}

#[tokio::test]
async fn check_config_refuses_a_bad_file_with_file_line_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "default_severity = \"SEV9\"\n").unwrap();
    let output = firebell(&["check-config", path.to_str().unwrap()], &[]).await;
    assert!(!output.status.success());
    let expected = format!(
        "firebell: {}:1: default_severity: unknown severity \"SEV9\"",
        path.display()
    );
    assert!(stderr(&output).starts_with(&expected), "{}", stderr(&output));
}

#[tokio::test]
async fn serve_without_the_slack_variables_stops_with_one_line_naming_the_first() {
    let output = firebell(&["serve"], &[]).await;
    assert!(!output.status.success());
    let text = stderr(&output);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.starts_with("firebell: SLACK_BOT_TOKEN: missing"), "{text}");
}

#[tokio::test]
async fn serve_with_a_malformed_database_url_names_it() {
    let output = firebell(
        &["serve"],
        &[
            ("SLACK_BOT_TOKEN", "xoxb-1"),
            ("SLACK_SIGNING_SECRET", "s"),
            ("DATABASE_URL", "mysql://x"),
        ],
    )
    .await;
    assert!(!output.status.success());
    assert!(
        stderr(&output).starts_with("firebell: DATABASE_URL: unknown scheme \"mysql\""),
        "{}",
        stderr(&output)
    );
}

#[tokio::test]
async fn serve_refuses_to_start_when_slack_rejects_the_token() {
    let slack = FakeSlack::start().await;
    slack.revoke_token();
    let db = database::sqlite();
    let output = firebell(
        &["serve"],
        &[
            ("SLACK_BOT_TOKEN", "xoxb-test-token"),
            ("SLACK_SIGNING_SECRET", "s"),
            ("SLACK_API_URL", &slack.api_url()),
            ("DATABASE_URL", &db.url),
            ("FIREBELL_LISTEN", "127.0.0.1:0"),
            ("RUST_LOG", "off"),
        ],
    )
    .await;
    assert!(!output.status.success());
    let text = stderr(&output);
    assert!(
        text.contains("SLACK_BOT_TOKEN: Slack rejected the token (token_revoked)"),
        "{text}"
    );
    assert!(!text.contains("xoxb-test-token"), "the token never reaches the output");
}

#[tokio::test]
async fn migrate_creates_the_sqlite_database_and_applies_the_migrations() {
    let db = database::sqlite();
    let output = firebell(&["migrate"], &[("DATABASE_URL", &db.url), ("RUST_LOG", "off")]).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let migrations = std::fs::read_dir("migrations/sqlite").unwrap().count();
    let expected = format!(": {migrations} migration(s) applied");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains(&expected),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let again = firebell(&["migrate"], &[("DATABASE_URL", &db.url), ("RUST_LOG", "off")]).await;
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 migration(s) applied"));
}

#[tokio::test]
async fn serve_stops_gracefully_on_sigterm() {
    let slack = FakeSlack::start().await;
    let db = database::sqlite();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_firebell"))
        .arg("serve")
        .env_clear()
        .envs([
            ("SLACK_BOT_TOKEN", "xoxb-test-token".to_owned()),
            ("SLACK_SIGNING_SECRET", "s".to_owned()),
            ("SLACK_API_URL", slack.api_url()),
            ("DATABASE_URL", db.url.clone()),
            ("FIREBELL_LISTEN", format!("127.0.0.1:{port}")),
            ("RUST_LOG", "off".to_owned()),
        ])
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while client
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .is_err()
    {
        assert!(tokio::time::Instant::now() < deadline, "serve never became healthy");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = child.id().expect("running");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits within 10 s after SIGTERM")
        .unwrap();
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
}
