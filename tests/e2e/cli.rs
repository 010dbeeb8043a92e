//! The `firebell` binary: help, check-config, migrate, and serve's refusal to start badly.

use std::process::{Command, Output};
use std::time::Duration;

use crate::support::database;
use crate::support::fake_slack::FakeSlack;

const CONTRACT_POLICY: &str = "tests/fixtures/contract_policy.toml";

/// Runs the binary with a clean environment plus `env`, bounded in time.
async fn firebell(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_firebell"));
    command.args(args).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
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
        &["simulate", "--help"],
        &["manifest", "--help"],
        &["retro", "--help"],
        &["login-link", "--help"],
    ] {
        let output = firebell(sub, &[]).await;
        assert!(output.status.success(), "{sub:?}");
        assert!(String::from_utf8_lossy(&output.stdout).contains("Usage: firebell"), "{sub:?}");
    }
}

#[tokio::test]
async fn check_config_accepts_the_contract_example_and_prints_a_summary() {
    let output = firebell(&["check-config", CONTRACT_POLICY], &[]).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("SEV1 (Critical): broad, mentions @here, update every 15m"), "{stdout}");
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
    let expected = format!("firebell: {}:1: default_severity: unknown severity \"SEV9\"", path.display());
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
        &[("SLACK_BOT_TOKEN", "xoxb-1"), ("SLACK_SIGNING_SECRET", "s"), ("DATABASE_URL", "mysql://x")],
    )
    .await;
    assert!(!output.status.success());
    assert!(stderr(&output).starts_with("firebell: DATABASE_URL: unknown scheme \"mysql\""), "{}", stderr(&output));
}

#[tokio::test]
async fn serve_refuses_to_start_when_slack_rejects_the_token() {
    let slack = FakeSlack::start().await.expect("the Slack stand-in starts");
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
    assert!(text.contains("SLACK_BOT_TOKEN: Slack rejected the token (token_revoked)"), "{text}");
    assert!(!text.contains("xoxb-test-token"), "the token never reaches the output");
}

#[tokio::test]
async fn migrate_creates_the_sqlite_database_and_applies_the_migrations() {
    let db = database::sqlite();
    let output = firebell(&["migrate"], &[("DATABASE_URL", &db.url), ("RUST_LOG", "off")]).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let migrations = std::fs::read_dir("migrations/sqlite").unwrap().count();
    let expected = format!(": {migrations} migration(s) applied");
    assert!(String::from_utf8_lossy(&output.stdout).contains(&expected), "{}", String::from_utf8_lossy(&output.stdout));
    let again = firebell(&["migrate"], &[("DATABASE_URL", &db.url), ("RUST_LOG", "off")]).await;
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 migration(s) applied"));
}

#[tokio::test]
async fn serve_stops_gracefully_on_sigterm() {
    let slack = FakeSlack::start().await.expect("the Slack stand-in starts");
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
    let client = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while client.get(format!("http://127.0.0.1:{port}/healthz")).send().await.is_err() {
        assert!(tokio::time::Instant::now() < deadline, "serve never became healthy");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = child.id().expect("running");
    let killed = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits within 10 s after SIGTERM")
        .unwrap();
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
}

#[tokio::test]
async fn simulate_prints_what_a_sev2_over_three_hours_would_fire() {
    let args = [
        "simulate",
        "--severity",
        "sev2",
        "--duration",
        "3h",
        "--start",
        "2026-11-25T23:00",
        "--no-updates",
        "--config",
        CONTRACT_POLICY,
    ];
    let output = firebell(&args, &[]).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Hand-computed from the contract's policy: SEV2 every 30m, escalate after 2, lead within
    // 10m, weekday digests at 09:00 (none in this window), retrospective within 2d.
    let expected = [
        "2026-11-25 23:00:00 KST  declared",
        "2026-11-25 23:10:00 KST  lead nudge in the incident channel (no lead assigned)",
        "2026-11-25 23:30:00 KST  reminder #1 in the incident channel (no update for 30m)",
        "2026-11-26 00:00:00 KST  reminder #2 in the incident channel (no update for 1h)",
        "2026-11-26 00:00:00 KST  escalation to the announcements channel (no update for 1h)",
        "2026-11-26 00:30:00 KST  reminder #3 in the incident channel (no update for 1h 30m)",
        "2026-11-26 01:00:00 KST  reminder #4 in the incident channel (no update for 2h)",
        "2026-11-26 01:30:00 KST  reminder #5 in the incident channel (no update for 2h 30m)",
        "2026-11-26 02:00:00 KST  resolved (reminders stop)",
        "2026-11-28 02:00:00 KST  retrospective nudge in the incident channel",
    ];
    let lines: Vec<&str> = stdout.lines().skip(1).collect();
    assert_eq!(lines, expected, "{stdout}");
}

#[tokio::test]
async fn simulate_with_updates_slower_than_the_cadence_and_a_digest_in_the_window() {
    let args = [
        "simulate",
        "--severity",
        "SEV2",
        "--duration",
        "3h",
        "--start",
        "2026-11-26T08:00",
        "--update-every",
        "40m",
        "--config",
        CONTRACT_POLICY,
    ];
    let output = firebell(&args, &[]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let reminders: Vec<&str> = stdout.lines().filter(|l| l.contains("reminder #")).map(|l| &l[11..16]).collect();
    assert_eq!(reminders, ["08:30", "09:10", "09:50", "10:30"], "{stdout}");
    assert!(stdout.contains("2026-11-26 09:00:00 KST  digest of open incidents"), "{stdout}");
    assert!(!stdout.contains("escalation"), "{stdout}");
}

#[tokio::test]
async fn simulate_refuses_an_unknown_severity() {
    let output =
        firebell(&["simulate", "--severity", "SEV9", "--duration", "1h", "--config", CONTRACT_POLICY], &[]).await;
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("--severity SEV9: not in the policy; expected one of SEV1, SEV2, SEV3, SEV4"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test]
async fn manifest_points_the_request_urls_at_the_given_host() {
    let output = firebell(&["manifest", "--url", "https://ops.acme.io"], &[]).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let manifest = String::from_utf8_lossy(&output.stdout);
    assert!(manifest.contains("request_url: https://ops.acme.io/slack/events"), "{manifest}");
    let socket = firebell(&["manifest", "--socket-mode"], &[]).await;
    assert!(String::from_utf8_lossy(&socket.stdout).contains("socket_mode_enabled: true"));
    let refused = firebell(&["manifest", "--url", "http://ops.acme.io"], &[]).await;
    assert!(!refused.status.success() && stderr(&refused).contains("Slack only calls https:// URLs"));
}
