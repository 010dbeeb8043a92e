//! The JSON API over HTTP: the bearer token (401 without or wrong, 503 when unset), the
//! contract's shapes for open, resolved and private incidents, the filters, an incident with
//! its timeline and follow-ups, and statistics equal to `/incident stats`.

use chrono::DateTime;
use serde_json::{Value, json};

use crate::support::app::{Options, TestApp, spawn_app_with};
use crate::support::workspace;

const TOKEN: &str = "api-s3cret-for-grafana";

async fn app(token: Option<&str>) -> TestApp {
    let env = token.map(|t| vec![("FIREBELL_API_TOKEN", t.to_owned())]).unwrap_or_default();
    spawn_app_with(Options {
        policy: Some(workspace::policy()),
        prepare_slack: Some(workspace::seed),
        env,
        ..Options::default()
    })
    .await
}

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> (u16, String) {
    let mut request = app.client.get(format!("{}{path}", app.base_url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn json_of(app: &TestApp, path: &str) -> Value {
    let (status, body) = get(app, path, Some(TOKEN)).await;
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// The channel of incident `n`.
async fn channel_of(app: &TestApp, n: i64) -> String {
    let incident = app.app.store.incident_by_number(firebell::domain::incident::IncidentNumber(n)).await.unwrap();
    incident.unwrap().channel.unwrap().to_string()
}

#[tokio::test]
async fn the_api_is_off_without_its_token_and_refuses_a_missing_or_wrong_one() {
    let off = app(None).await;
    let (status, body) = get(&off, "/api/incidents", Some(TOKEN)).await;
    assert_eq!((status, body.as_str()), (503, "api disabled: set FIREBELL_API_TOKEN"));
    let on = app(Some(TOKEN)).await;
    for path in ["/api/incidents", "/api/incidents/1", "/api/stats"] {
        assert_eq!(get(&on, path, None).await.0, 401, "{path} without a token");
        assert_eq!(get(&on, path, Some("api-s3cret-for-grafanA")).await.0, 401, "{path} with a wrong one");
    }
    assert_eq!(get(&on, "/api/incidents?status=burning", Some(TOKEN)).await.0, 400);
    assert_eq!(get(&on, "/api/incidents?since=yesterday", Some(TOKEN)).await.0, 400);
    assert_eq!(get(&on, "/api/stats?window=1y", Some(TOKEN)).await.0, 400);
    assert_eq!(get(&on, "/api/incidents/x", Some(TOKEN)).await.0, 400);
    assert_eq!(get(&on, "/api/incidents/99", Some(TOKEN)).await.0, 404);
}

#[tokio::test]
async fn incidents_come_in_the_contracts_shape_and_a_private_one_shows_nothing_of_itself() {
    let app = app(Some(TOKEN)).await;
    app.command("declare sev1 service:payments Checkout down").await;
    app.command("declare sev3 service:search Search slow").await;
    app.command("declare --private sev2 Payroll export leaked").await;
    app.outbox_drained().await;
    let first = channel_of(&app, 1).await;
    app.command_in("update Rolled back v42", &first, "U0REPORTER").await;
    app.command_in("followup prevent Canary the gateway config", &first, "U0REPORTER").await;
    app.command_in("resolve Rollback fixed it", &first, "U0REPORTER").await;
    app.outbox_drained().await;

    let all = json_of(&app, "/api/incidents").await;
    let incidents = all["incidents"].as_array().unwrap();
    assert_eq!(incidents.iter().map(|i| i["number"].as_i64().unwrap()).collect::<Vec<_>>(), [3, 2, 1]);
    let resolved = &incidents[2];
    assert_eq!(resolved["title"], "Checkout down");
    assert_eq!((resolved["severity"].clone(), resolved["status"].clone()), (json!("SEV1"), json!("resolved")));
    assert_eq!(resolved["services"], json!(["payments"]));
    assert_eq!(resolved["channel"], json!(first));
    assert_eq!(resolved["private"], json!(false));
    assert_eq!(resolved["fields"], json!({}));
    let declared = DateTime::parse_from_rfc3339(resolved["declared_at"].as_str().unwrap()).unwrap();
    let resolved_at = DateTime::parse_from_rfc3339(resolved["resolved_at"].as_str().unwrap()).unwrap();
    assert!(resolved["declared_at"].as_str().unwrap().ends_with('Z') && resolved_at >= declared);
    assert_eq!(incidents[1]["resolved_at"], Value::Null);
    let private = &incidents[0];
    for hidden in ["title", "services", "channel", "fields"] {
        assert_eq!(private[hidden], Value::Null, "a private incident's {hidden}");
    }
    assert!(!all.to_string().contains("Payroll"), "{all}");

    let open = json_of(&app, "/api/incidents?status=open").await;
    let numbers: Vec<i64> =
        open["incidents"].as_array().unwrap().iter().map(|i| i["number"].as_i64().unwrap()).collect();
    assert_eq!(numbers, [3, 2]);
    assert_eq!(json_of(&app, "/api/incidents?status=resolved").await["incidents"].as_array().unwrap().len(), 1);
    assert!(json_of(&app, "/api/incidents?status=closed").await["incidents"].as_array().unwrap().is_empty());
    assert!(
        json_of(&app, "/api/incidents?since=2999-01-01T00:00:00Z").await["incidents"].as_array().unwrap().is_empty()
    );
    assert_eq!(
        json_of(&app, "/api/incidents?since=2000-01-01T00:00:00%2B09:00").await["incidents"].as_array().unwrap().len(),
        3
    );

    let one = json_of(&app, "/api/incidents/1").await;
    let timeline = one["timeline"].as_array().unwrap();
    let kinds: Vec<&str> = timeline.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(kinds.starts_with(&["declared"]) && kinds.contains(&"update") && kinds.contains(&"resolved"), "{kinds:?}");
    let update = timeline.iter().find(|e| e["kind"] == "update").unwrap();
    assert_eq!((update["text"].clone(), update["author"].clone()), (json!("Rolled back v42"), json!("U0REPORTER")));
    assert_eq!(one["followups"][0]["text"], "Canary the gateway config");
    assert_eq!(one["followups"][0]["group"], "prevent");
    let hidden = json_of(&app, "/api/incidents/3").await;
    assert_eq!((hidden["timeline"].clone(), hidden["followups"].clone()), (Value::Null, Value::Null));
    assert!(!hidden.to_string().contains("Payroll"), "{hidden}");
}

#[tokio::test]
async fn the_stats_are_the_figures_of_incident_stats_for_the_same_window() {
    let app = app(Some(TOKEN)).await;
    app.command("declare sev1 service:payments Checkout down").await;
    app.command("declare sev1 service:checkout Carts empty").await;
    app.command("declare sev3 service:search Search slow").await;
    app.outbox_drained().await;
    let first = channel_of(&app, 1).await;
    app.command_in("lead <@U0ONCALL1>", &first, "U0REPORTER").await;
    app.command_in("resolve Fixed", &first, "U0REPORTER").await;
    app.outbox_drained().await;

    let stats = json_of(&app, "/api/stats?window=7d").await;
    assert_eq!(stats["window"], "7d");
    let report = app.command("stats 7d").await["text"].as_str().unwrap().to_owned();
    for (severity, figures) in stats["by_severity"].as_object().unwrap() {
        let row = report
            .lines()
            .find(|l| l.starts_with(&format!("• {severity}: {} ·", figures["count"])))
            .unwrap_or_else(|| panic!("{severity} {figures} in {report}"));
        for (field, shown) in [("mtta_s", "MTTA"), ("mttd_s", "MTTD"), ("mttfa_s", "MTTFA"), ("mttr_s", "MTTR")] {
            let none = row.contains(&format!("{shown} —"));
            assert_eq!(figures[field].is_null(), none, "{severity} {field}: {figures} vs {row}");
        }
    }
    assert_eq!(stats["by_severity"]["SEV1"]["count"], 2);
    let incident = json_of(&app, "/api/incidents/1").await;
    let declared = DateTime::parse_from_rfc3339(incident["declared_at"].as_str().unwrap()).unwrap();
    let resolved = DateTime::parse_from_rfc3339(incident["resolved_at"].as_str().unwrap()).unwrap();
    let mttr = stats["by_severity"]["SEV1"]["mttr_s"].as_i64().unwrap();
    // Stored to the millisecond, shown to the second: the one resolved SEV1's time to resolve.
    assert!((mttr - (resolved - declared).num_seconds()).abs() <= 1, "{mttr} vs {declared} → {resolved}");
    assert_eq!(json_of(&app, "/api/stats").await["window"], "30d", "30 days unless asked");
}
