//! `/slack/commands`: help, refusals with what is accepted, and commands not built yet.

use crate::support::app::{Options, spawn_app, spawn_app_with};
use crate::support::signing;

const CONTRACT_POLICY: &str = include_str!("../fixtures/contract_policy.toml");

fn text(reply: &serde_json::Value) -> &str {
    assert_eq!(reply["response_type"], "ephemeral", "{reply}");
    reply["text"].as_str().expect("a text reply")
}

#[tokio::test]
async fn help_lists_the_commands_ephemerally() {
    let app = spawn_app().await;
    let reply = app.command("help").await;
    let help = text(&reply);
    assert!(help.contains("declare [--private] [--drill] [sevN] [service:NAME…] TITLE"), "{help}");
    assert!(help.contains("Severities: SEV1, SEV2, SEV3, SEV4."), "{help}");
}

#[tokio::test]
async fn an_empty_command_shows_help() {
    let app = spawn_app().await;
    assert!(text(&app.command("").await).contains("/incident"));
}

#[tokio::test]
async fn an_unknown_subcommand_says_so_and_points_at_help() {
    let app = spawn_app().await;
    let reply = app.command("deploy now").await;
    assert_eq!(text(&reply), "I don't know `deploy`. Try `/incident help` for the commands.");
}

#[tokio::test]
async fn an_unknown_severity_lists_the_policys_severities() {
    let app = spawn_app_with(Options { policy: Some(CONTRACT_POLICY.to_owned()), ..Options::default() }).await;
    let reply = app.command("declare sev9 service:payments Checkout is down").await;
    assert_eq!(text(&reply), "`sev9` is not a severity here. Accepted: SEV1, SEV2, SEV3, SEV4.");
    assert!(app.slack.calls_to("conversations.create").is_empty());
}

#[tokio::test]
async fn an_unknown_service_lists_the_policys_services() {
    let app = spawn_app_with(Options { policy: Some(CONTRACT_POLICY.to_owned()), ..Options::default() }).await;
    let reply = app.command("declare service:billing Invoices late").await;
    assert_eq!(text(&reply), "`billing` is not a known service. Accepted: payments, checkout.");
}

#[tokio::test]
async fn the_policy_locale_makes_replies_korean() {
    let policy = CONTRACT_POLICY.replacen("locale = \"en\"", "locale = \"ko\"", 1);
    let app = spawn_app_with(Options { policy: Some(policy), ..Options::default() }).await;
    assert!(text(&app.command("bogus").await).contains("알 수 없는 명령"));
}

#[tokio::test]
async fn user_text_echoed_in_a_refusal_cannot_ping() {
    let app = spawn_app().await;
    let reply = app.command("<!here> everyone look").await;
    let echoed = text(&reply);
    assert!(echoed.contains("&lt;!here&gt;") && !echoed.contains("<!here>"), "{echoed}");
}

#[tokio::test]
async fn an_incident_channel_command_elsewhere_says_where_it_works() {
    let app = spawn_app().await;
    let reply = app.command("resolve All good").await;
    assert_eq!(
        text(&reply),
        "`resolve` works inside an incident channel. Run it there, or see `/incident list` for open incidents."
    );
}

#[tokio::test]
async fn stats_reports_counts_and_mean_times_by_severity_for_scripted_incidents() {
    let app = crate::support::workspace::spawn().await;
    app.command("declare sev1 service:payments Checkout down").await;
    app.command("declare sev3 service:search Search slow").await;
    app.command("declare sev1 service:checkout Carts empty").await;
    app.outbox_drained().await;
    let channel_of = |n: i64| {
        let app = app.app.clone();
        async move {
            app.store
                .incident_by_number(firebell::domain::incident::IncidentNumber(n))
                .await
                .unwrap()
                .unwrap()
                .channel
                .unwrap()
                .to_string()
        }
    };
    let first = channel_of(1).await;
    app.command_in("lead <@U0ONCALL1>", &first, "U0REPORTER").await;
    app.command_in("followup detect Alert on checkout errors", &first, "U0REPORTER").await;
    app.command_in("resolve Fixed", &first, "U0REPORTER").await;
    let third = channel_of(3).await;
    app.command_in("update Looking into it", &third, "U0ONCALL1").await;
    app.outbox_drained().await;

    let reply = app.command("stats").await;
    let report = text(&reply);
    assert!(report.starts_with("*Incidents in the last 30 days: 3*"), "{report}");
    let sev1 = report.lines().find(|l| l.starts_with("• SEV1: 2 ·")).unwrap_or_else(|| panic!("{report}"));
    assert!(sev1.contains("MTTA ") && !sev1.contains("MTTA —"), "both SEV1s were acknowledged: {sev1}");
    assert!(sev1.contains("MTTD —"), "no alerts linked: {sev1}");
    assert!(!sev1.contains("MTTR —"), "one SEV1 was resolved: {sev1}");
    assert!(report.contains("• SEV3: 1 · MTTA — · MTTD — · MTTFA — · MTTR —"), "{report}");
    assert!(report.contains("• SEV2: 0"), "{report}");
    assert!(report.contains("follow-ups: 1 open, 0 done"), "{report}");
    assert!(report.contains("█ 3"), "one bar for this week: {report}");
    assert!(text(&app.command("stats 7d").await).starts_with("*Incidents in the last 7 days: 3*"));
}

#[tokio::test]
async fn metrics_parse_as_prometheus_text_and_move_when_commands_run() {
    let app = spawn_app().await;
    let before = app.get("/metrics").await.text().await.unwrap();
    app.command("help").await;
    app.command("list").await;
    let after = app.get("/metrics").await.text().await.unwrap();
    for line in after.lines().filter(|l| !l.is_empty()) {
        if let Some(comment) = line.strip_prefix('#') {
            assert!(comment.starts_with(" HELP ") || comment.starts_with(" TYPE "), "{line}");
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line}"));
        assert!(value.parse::<f64>().is_ok(), "value of {line}");
        let name = series.split('{').next().unwrap();
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{line}");
        if let Some(labels) = series.strip_prefix(name) {
            assert!(labels.is_empty() || (labels.starts_with('{') && labels.ends_with('}')), "{line}");
        }
    }
    assert!(!before.contains("command=\"list\""));
    assert!(after.contains("firebell_commands_total{command=\"list\"} 1"), "{after}");
    assert!(after.contains("firebell_open_incidents{severity=\"SEV1\"} 0"), "{after}");
    assert!(
        after.contains("firebell_slack_call_seconds_count{method=\"auth.test\"} 1"),
        "the start-up call is timed: {after}"
    );
}

#[tokio::test]
async fn a_command_from_another_workspace_is_refused_ephemerally() {
    let app = spawn_app().await;
    let body = signing::command_form_from("T0STRANGER", "help", "C0GENERAL", "U0REPORTER");
    let response = app.post_signed("/slack/commands", "application/x-www-form-urlencoded", body).await;
    assert_eq!(response.status(), 200);
    let reply: serde_json::Value = response.json().await.unwrap();
    assert_eq!(text(&reply), "This firebell serves another Slack workspace, so nothing was done.");
}

#[tokio::test]
async fn commands_are_counted_by_subcommand() {
    let app = spawn_app().await;
    app.command("help").await;
    app.command("nonsense").await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("firebell_commands_total{command=\"help\"} 1"), "{metrics}");
    assert!(metrics.contains("firebell_commands_total{command=\"invalid\"} 1"), "{metrics}");
}
