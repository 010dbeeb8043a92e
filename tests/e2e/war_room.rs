//! The dashboard as a war room, over HTTP: an incident's page and list, acting from the page
//! through the same decisions as the commands (CSRF token required, refusals said, nothing
//! changed by a bad form), private incidents only for their people, and a Slack outage during
//! which the page keeps the timeline and after which Slack has every change once, in order.

use std::time::Duration;

use firebell::domain::incident::{IncidentNumber, IncidentStatus};
use firebell::domain::timeline::TimelineKind;
use serde_json::json;

use super::dashboard::{PUBLIC_URL, app_on, browser, link_for};
use crate::support::app::TestApp;
use crate::support::database::{self, TestDatabase};
use crate::support::fake_slack::{BOT_USER_ID, Message};
use crate::support::signing::event_envelope;
use crate::support::wait;

/// A signed-in session's cookie for `user`.
pub(crate) async fn sign_in(app: &TestApp, user: &str) -> String {
    let path = link_for(app, user).await;
    let answer = browser().get(format!("{}{path}", app.base_url)).send().await.unwrap();
    assert_eq!(answer.status(), 303);
    answer.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned()
}

/// A page as `cookie`'s user sees it: status and HTML.
async fn page(app: &TestApp, cookie: &str, path: &str) -> (u16, String) {
    let answer = browser().get(format!("{}{path}", app.base_url)).header("cookie", cookie).send().await.unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

/// The CSRF token the page's forms carry.
fn csrf_in(html: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let start = html.find(marker).unwrap_or_else(|| panic!("a form with a CSRF token in {html}")) + marker.len();
    html[start..].chars().take_while(|c| *c != '"').collect()
}

/// Posts a form to incident 1's page; answers the status and the `location` or the page.
async fn post(app: &TestApp, cookie: Option<&str>, fields: &[(&str, &str)]) -> (u16, String) {
    let mut request = browser().post(format!("{}/incidents/1", app.base_url)).form(fields);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let answer = request.send().await.unwrap();
    let status = answer.status().as_u16();
    match answer.headers().get("location") {
        Some(location) => (status, location.to_str().unwrap().to_owned()),
        None => (status, answer.text().await.unwrap()),
    }
}

async fn timeline_kinds(app: &TestApp) -> Vec<TimelineKind> {
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    app.app.store.timeline(incident.id).await.unwrap().iter().filter_map(|e| e.entry.kind().ok()).collect()
}

fn bot_messages_with(app: &TestApp, channel: &str, text: &str) -> Vec<Message> {
    app.slack.messages(channel).into_iter().filter(|m| m.user == BOT_USER_ID && m.text.contains(text)).collect()
}

fn incident_channel(app: &TestApp) -> String {
    app.slack.channel_by_prefix("inc-").expect("the incident channel")
}

#[tokio::test]
async fn an_update_posted_from_the_page_reaches_the_channel_and_every_notice_thread_on_sqlite() {
    an_update_posted_from_the_page_reaches_the_channel_and_every_notice_thread(database::sqlite()).await;
}

#[tokio::test]
async fn an_update_posted_from_the_page_reaches_the_channel_and_every_notice_thread_on_postgres() {
    let Some(db) = database::postgres().await else { return };
    an_update_posted_from_the_page_reaches_the_channel_and_every_notice_thread(db).await;
}

async fn an_update_posted_from_the_page_reaches_the_channel_and_every_notice_thread(db: TestDatabase) {
    let app = app_on(Some(PUBLIC_URL), db).await;
    app.command("declare sev1 service:payments Checkout is down").await;
    app.outbox_drained().await;
    let cookie = sign_in(&app, "U0ONCALL1").await;

    let (status, html) = page(&app, &cookie, "/incidents/1").await;
    assert_eq!(status, 200);
    for expected in ["#1 Checkout is down", "SEV1", "payments", "Key times", "Timeline", "Open in Slack", "Post update"]
    {
        assert!(html.contains(expected), "{expected:?} on the page:\n{html}");
    }
    assert!(html.contains(r#"<textarea id="update-text" name="text""#), "{html}");
    let csrf = csrf_in(&html);

    let update = [("csrf", csrf.as_str()), ("do", "update"), ("text", "Rolled back to v41 <!channel>"), ("status", "")];
    let (status, location) = post(&app, Some(&cookie), &update).await;
    assert_eq!((status, location.as_str()), (303, "/incidents/1?done=update"));
    app.outbox_drained().await;

    let channel = incident_channel(&app);
    let posted = bot_messages_with(&app, &channel, "Rolled back to v41");
    assert_eq!(posted.len(), 1, "once in the incident channel");
    assert!(posted[0].text.contains("*Update* from <@U0ONCALL1>"), "by the signed-in person: {}", posted[0].text);
    for notice_channel in ["C0PAYMENTS", "C0CHECKOUT", "C0INCIDENTS"] {
        let replies: Vec<Message> = bot_messages_with(&app, notice_channel, "Rolled back to v41");
        assert_eq!(replies.len(), 1, "{notice_channel}");
        assert!(replies[0].thread_ts.is_some(), "in the notice's thread");
        assert!(!replies[0].text.contains("<!channel>"), "text typed on a page never pings either");
    }
    let (_, html) = page(&app, &cookie, "/incidents/1?done=update").await;
    assert!(html.contains("Recorded.") && html.contains("Rolled back to v41 @channel"), "{html}");

    // Severity, status and an action, as the commands would make them.
    let forms: [&[(&str, &str)]; 3] = [
        &[("csrf", &csrf), ("do", "status"), ("status", "identified")],
        &[("csrf", &csrf), ("do", "action"), ("kind", "rollback"), ("text", "v41")],
        &[("csrf", &csrf), ("do", "severity"), ("severity", "SEV2")],
    ];
    for form in forms {
        assert_eq!(post(&app, Some(&cookie), form).await.0, 303, "{form:?}");
    }
    let kinds = timeline_kinds(&app).await;
    let wanted = [TimelineKind::StatusChanged, TimelineKind::ResponseAction, TimelineKind::SeverityChanged];
    assert!(kinds.ends_with(&wanted), "{kinds:?}");
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    assert_eq!(incident.status, IncidentStatus::Identified);
    assert_eq!(incident.severity.as_str(), "SEV2", "a payments responder may lower it");
    app.outbox_drained().await;
}

#[tokio::test]
async fn a_form_without_the_session_or_its_csrf_token_changes_nothing() {
    let app = app_on(Some(PUBLIC_URL), database::sqlite()).await;
    app.command("declare sev2 service:payments Cards declined").await;
    app.outbox_drained().await;
    let cookie = sign_in(&app, "U0REPORTER").await;
    let (_, html) = page(&app, &cookie, "/incidents/1").await;
    let csrf = csrf_in(&html);
    let before = timeline_kinds(&app).await;

    type Attempt<'a> = (Option<&'a str>, Vec<(&'a str, &'a str)>);
    let forged: [Attempt; 4] = [
        (Some(&cookie), vec![("do", "resolve"), ("text", "no token")]),
        (Some(&cookie), vec![("csrf", "0".repeat(64).leak()), ("do", "resolve")]),
        (None, vec![("csrf", csrf.as_str()), ("do", "resolve")]),
        (Some("firebell_session=forged0000000000000000000000"), vec![("csrf", csrf.as_str()), ("do", "resolve")]),
    ];
    for (cookie, fields) in forged {
        let (status, html) = post(&app, cookie, &fields).await;
        assert_eq!(status, 403, "{fields:?}: {html}");
    }
    assert_eq!(timeline_kinds(&app).await, before, "nothing recorded");
    let (_, html) = post(&app, Some(&cookie), &[("do", "update"), ("text", "x")]).await;
    assert!(html.contains("nothing was changed"), "{html}");

    // A session's token from another session does not pass either.
    let other = sign_in(&app, "U0ADMIN").await;
    let (status, _) = post(&app, Some(&other), &[("csrf", csrf.as_str()), ("do", "resolve")]).await;
    assert_eq!(status, 403);
    assert_eq!(timeline_kinds(&app).await, before);
}

#[tokio::test]
async fn a_refused_or_malformed_form_says_why_and_changes_nothing() {
    let app = app_on(Some(PUBLIC_URL), database::sqlite()).await;
    app.command("declare sev2 service:payments Cards declined").await;
    app.outbox_drained().await;
    // Someone outside the payments team: they may update, not lower the severity.
    let cookie = sign_in(&app, "U0SEARCHER").await;
    let csrf = csrf_in(&page(&app, &cookie, "/incidents/1").await.1);
    let before = timeline_kinds(&app).await;
    let long = "a".repeat(3001);
    let refused: [(&[(&str, &str)], &str); 5] = [
        (&[("csrf", &csrf), ("do", "severity"), ("severity", "SEV9")], "SEV9"),
        (&[("csrf", &csrf), ("do", "update"), ("text", "   ")], "update TEXT"),
        (&[("csrf", &csrf), ("do", "update"), ("text", &long)], "3001 characters"),
        (&[("csrf", &csrf), ("do", "action"), ("kind", "prayer")], "not an action kind"),
        (&[("csrf", &csrf), ("do", "drop-tables")], "drop-tables"),
    ];
    for (fields, said) in refused {
        let (status, html) = post(&app, Some(&cookie), fields).await;
        assert_eq!(status, 409, "{fields:?}");
        assert!(html.contains(said) && html.contains(r#"class="flash refused""#), "{said:?} in {html}");
    }
    // Lowering the severity is refused to them, as the command refuses it.
    let (status, html) = post(&app, Some(&cookie), &[("csrf", &csrf), ("do", "severity"), ("severity", "SEV3")]).await;
    assert_eq!(status, 409, "{html}");
    assert_eq!(timeline_kinds(&app).await, before, "nothing recorded");

    let missing = browser()
        .post(format!("{}/incidents/99", app.base_url))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str()), ("do", "resolve")])
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(page(&app, &cookie, "/incidents/abc").await.0, 404);
    let duplicated = browser()
        .post(format!("{}/incidents/1", app.base_url))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}&do=update&do=resolve&text=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(duplicated.status(), 400, "a form that cannot be read");
    let oversized = browser()
        .post(format!("{}/incidents/1", app.base_url))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str()), ("do", "update"), ("text", &"b".repeat(70_000))])
        .send()
        .await
        .unwrap();
    assert_eq!(oversized.status(), 413);
    assert_eq!(timeline_kinds(&app).await, before, "nothing recorded");
}

#[tokio::test]
async fn a_private_incident_is_shown_only_to_its_people_and_the_admins() {
    let app = app_on(Some(PUBLIC_URL), database::sqlite()).await;
    app.command("declare --private sev2 Payroll export leaked").await;
    app.outbox_drained().await;
    let channel = incident_channel(&app);

    let stranger = sign_in(&app, "U0SEARCHER").await;
    let (status, html) = page(&app, &stranger, "/incidents/1").await;
    assert_eq!(status, 200);
    assert!(html.contains("a private incident") && html.contains("SEV2"), "{html}");
    assert!(!html.contains("Payroll") && !html.contains(r#"name="csrf""#), "redacted, and no forms: {html}");
    let (_, list) = page(&app, &stranger, "/incidents").await;
    assert!(list.contains("a private incident") && !list.contains("Payroll"), "{list}");
    let (_, overview) = page(&app, &stranger, "/").await;
    assert!(!overview.contains("Payroll"), "{overview}");
    let (status, _) = post(&app, Some(&stranger), &[("csrf", "x"), ("do", "resolve")]).await;
    assert_eq!(status, 403);
    let csrf = {
        // Even with the session's own token, a stranger cannot act on it.
        let (_, own_page) = page(&app, &stranger, "/incidents").await;
        assert!(!own_page.contains(r#"name="csrf""#));
        let row: String = sqlx::query_scalar("SELECT csrf FROM dashboard_sessions WHERE user_id = 'U0SEARCHER'")
            .fetch_one(app.app.store.pool())
            .await
            .unwrap();
        row
    };
    let (status, _) = post(&app, Some(&stranger), &[("csrf", &csrf), ("do", "resolve")]).await;
    assert_eq!(status, 404, "as if it did not exist");
    assert_ne!(
        app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap().status,
        IncidentStatus::Resolved
    );

    for person in ["U0REPORTER", "U0ADMIN"] {
        let cookie = sign_in(&app, person).await;
        let (_, html) = page(&app, &cookie, "/incidents/1").await;
        assert!(html.contains("Payroll export leaked"), "{person}: {html}");
    }
    // Joining the channel makes someone one of its people.
    let joined = json!({"type": "member_joined_channel", "user": "U0SEARCHER", "channel": &channel, "channel_type": "G", "team": "T0FIREBELL"});
    assert_eq!(app.event(event_envelope("EvJoin1", joined), None).await.status(), 200);
    let (_, html) = page(&app, &stranger, "/incidents/1").await;
    assert!(html.contains("Payroll export leaked") && html.contains(r#"name="csrf""#), "{html}");
    app.outbox_drained().await;
}

#[tokio::test]
async fn the_list_searches_and_filters() {
    let app = app_on(Some(PUBLIC_URL), database::sqlite()).await;
    app.command("declare sev1 service:payments Checkout is down").await;
    app.command("declare sev3 service:search Search results are stale").await;
    app.command("declare sev2 service:payments Refunds are slow").await;
    app.outbox_drained().await;
    let cookie = sign_in(&app, "U0ONCALL1").await;
    let listed =
        |html: &str| ["Checkout is down", "Search results are stale", "Refunds are slow"].map(|t| html.contains(t));

    let (status, html) = page(&app, &cookie, "/incidents").await;
    assert_eq!(status, 200);
    assert_eq!(listed(&html), [true, true, true]);
    assert!(html.find("Refunds").unwrap() < html.find("Checkout").unwrap(), "newest first");
    assert_eq!(listed(&page(&app, &cookie, "/incidents?service=payments").await.1), [true, false, true]);
    assert_eq!(listed(&page(&app, &cookie, "/incidents?severity=sev3").await.1), [false, true, false]);
    assert_eq!(listed(&page(&app, &cookie, "/incidents?q=refund").await.1), [false, false, true]);
    assert_eq!(listed(&page(&app, &cookie, "/incidents?q=%3Cscript%3E").await.1), [false, false, false]);
    let (_, html) = page(&app, &cookie, "/incidents?q=%3Cscript%3E").await;
    assert!(html.contains(r#"value="&lt;script&gt;""#) && html.contains("No incident matches."), "{html}");

    let first = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    let channel = first.channel.expect("incident 1's channel").to_string();
    let reply = app.command_in("resolve Rolled back", &channel, "U0REPORTER").await;
    assert_eq!(reply["text"], "Done.", "{reply}");
    let resolved = listed(&page(&app, &cookie, "/incidents?status=resolved").await.1);
    assert_eq!(resolved.iter().filter(|r| **r).count(), 1, "one resolved");
    let open = listed(&page(&app, &cookie, "/incidents?status=open&service=payments").await.1);
    assert_eq!(open.iter().filter(|r| **r).count(), 1, "one payments incident still open");
    // Unknown filter values narrow nothing rather than failing.
    assert_eq!(listed(&page(&app, &cookie, "/incidents?severity=SEV9&status=weird").await.1), [true, true, true]);
    app.outbox_drained().await;
}

#[tokio::test]
async fn during_a_slack_outage_the_page_keeps_the_timeline_and_slack_catches_up_once_in_order() {
    let app = app_on(Some(PUBLIC_URL), database::sqlite()).await;
    app.command("declare sev2 service:payments Checkout errors").await;
    app.outbox_drained().await;
    let cookie = sign_in(&app, "U0REPORTER").await;
    let csrf = csrf_in(&page(&app, &cookie, "/incidents/1").await.1);

    // Every Web API call fails from now for a while.
    app.slack.outage(Duration::from_secs(6), 503);
    let update = [("csrf", csrf.as_str()), ("do", "update"), ("text", "Rolled back to v41; errors falling")];
    assert_eq!(post(&app, Some(&cookie), &update).await.0, 303);
    let resolve = [("csrf", csrf.as_str()), ("do", "resolve"), ("text", "The rollback fixed it")];
    assert_eq!(post(&app, Some(&cookie), &resolve).await.0, 303);

    // Shown at once, and the page says Slack will be told.
    let (_, html) = page(&app, &cookie, "/incidents/1").await;
    assert!(html.contains("Rolled back to v41; errors falling") && html.contains("Resolved"), "{html}");
    wait::until("the page to say Slack is not answering", || async {
        page(&app, &cookie, "/incidents/1").await.1.contains("Slack is not answering")
    })
    .await;
    assert!(app.slack.messages(&incident_channel(&app)).iter().all(|m| !m.text.contains("Rolled back to v41")));

    // Slack answers again: each change reaches it once, the update before the resolution.
    app.outbox_drained_within(Duration::from_secs(60)).await;
    let channel = incident_channel(&app);
    for where_ in [channel.as_str(), "C0PAYMENTS", "C0CHECKOUT", "C0INCIDENTS"] {
        let updates = bot_messages_with(&app, where_, "Rolled back to v41");
        let resolutions = bot_messages_with(&app, where_, "The rollback fixed it");
        assert_eq!((updates.len(), resolutions.len()), (1, 1), "{where_}: {updates:?} {resolutions:?}");
        let ts = |m: &Message| m.ts.parse::<f64>().unwrap();
        assert!(ts(&updates[0]) < ts(&resolutions[0]), "{where_}: in order");
    }
    let (_, html) = page(&app, &cookie, "/incidents/1").await;
    assert!(!html.contains("Slack is not answering"), "caught up: {html}");
}

#[tokio::test]
async fn in_a_real_browser_an_update_posted_from_the_page_reaches_slack_and_one_made_in_slack_shows_without_a_reload() {
    let Some(browser) = crate::support::browser::Browser::start().await else { return };
    let app = app_on(Some("http://127.0.0.1"), database::sqlite()).await;
    app.command("declare sev1 service:payments Checkout errors after deploy v42").await;
    app.command("declare sev3 service:search Search results are stale").await;
    app.outbox_drained().await;
    let first = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    let channel = first.channel.expect("incident 1's channel").to_string();
    app.command_in("lead <@U0ONCALL1|oncall>", &channel, "U0REPORTER").await;
    app.command_in("action rollback to v41", &channel, "U0ONCALL1").await;

    let reply = app.command_in("dashboard", "C0GENERAL", "U0ONCALL1").await;
    let text = reply["text"].as_str().unwrap();
    let start = text.find("http://127.0.0.1/login/").unwrap_or_else(|| panic!("{text}"));
    let path: String = text[start + "http://127.0.0.1".len()..].chars().take_while(|c| !c.is_whitespace()).collect();
    browser.goto(&format!("{}{path}", app.base_url)).await;
    let overview = browser.text().await;
    for expected in ["Open incidents", "Checkout errors after deploy v42", "SEV1", "Search results are stale"] {
        assert!(overview.contains(expected), "{expected:?} on the overview:\n{overview}");
    }
    browser.screenshot(&super::dashboard::screenshot_path("dashboard-overview.png")).await;

    // Open the incident and post an update from its form, as a person would.
    browser.click(r#"a[href="/incidents/1"]"#).await;
    assert_eq!(browser.url().await, format!("{}/incidents/1", app.base_url));
    browser.type_into("#update-text", "Error rate back under 0.1% after the rollback").await;
    browser.click("form.update button[type=submit]").await;
    assert_eq!(browser.url().await, format!("{}/incidents/1?done=update", app.base_url));
    let page = browser.text().await;
    assert!(page.contains("Recorded.") && page.contains("Error rate back under 0.1% after the rollback"), "{page}");
    app.outbox_drained().await;
    assert_eq!(bot_messages_with(&app, &channel, "Error rate back under 0.1%").len(), 1, "in the incident channel");
    for notice_channel in ["C0PAYMENTS", "C0CHECKOUT", "C0INCIDENTS"] {
        let replies = bot_messages_with(&app, notice_channel, "Error rate back under 0.1%");
        assert_eq!(replies.len(), 1, "{notice_channel}");
        assert!(replies[0].thread_ts.is_some(), "{notice_channel}: in the notice's thread");
    }

    // An update made in Slack shows on the open page within 5 seconds, without a reload (a
    // mark set on the page survives).
    browser.execute("document.body.dataset.stayed = 'yes'; return true;").await;
    app.command_in("update Scaled out the payment workers to 12", &channel, "U0ONCALL1").await;
    wait::until_within(Duration::from_secs(5), "the update made in Slack on the page", || async {
        browser.text().await.contains("Scaled out the payment workers to 12")
    })
    .await;
    assert_eq!(browser.execute("return document.body.dataset.stayed || 'reloaded';").await, "yes");
    browser.screenshot(&super::dashboard::screenshot_path("dashboard-incident.png")).await;
    app.outbox_drained().await;
    browser.quit().await;
}
