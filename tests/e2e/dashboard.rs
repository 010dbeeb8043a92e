//! Signing in to the dashboard over HTTP: `/incident dashboard` without and with
//! `FIREBELL_PUBLIC_URL`, a one-time link (303 with the session cookie once; used, expired or
//! unknown → 403 and no session), links stored hashed, sessions revocable in the database, and
//! the overview's open incidents behind a Content-Security-Policy that allows no inline script.

use crate::support::app::{Options, TestApp, spawn_app_with};
use crate::support::database::{self, TestDatabase};
use crate::support::workspace;

pub(crate) const PUBLIC_URL: &str = "https://firebell.example.com";

async fn app(public_url: Option<&str>) -> TestApp {
    app_on(public_url, database::sqlite()).await
}

pub(crate) async fn app_on(public_url: Option<&str>, db: TestDatabase) -> TestApp {
    let env = public_url.map(|u| vec![("FIREBELL_PUBLIC_URL", u.to_owned())]).unwrap_or_default();
    spawn_app_with(Options {
        database: Some(db),
        policy: Some(workspace::policy()),
        prepare_slack: Some(workspace::seed),
        env,
        ..Options::default()
    })
    .await
}

/// A client that shows redirects instead of following them.
pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap()
}

/// The sign-in link `/incident dashboard` answers `user` with, as a path on the test server.
pub(crate) async fn link_for(app: &TestApp, user: &str) -> String {
    let reply = app.command_in("dashboard", "C0GENERAL", user).await;
    let text = reply["text"].as_str().unwrap().to_owned();
    let start = text.find(PUBLIC_URL).unwrap_or_else(|| panic!("a link in {text}"));
    let link: String = text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    let path = link.strip_prefix(PUBLIC_URL).unwrap().to_owned();
    assert!(path.starts_with("/login/") && path.len() == "/login/".len() + 64, "{link}");
    path
}

#[tokio::test]
async fn without_a_public_url_the_command_says_how_to_turn_the_dashboard_on_and_nothing_is_served() {
    let app = app(None).await;
    let reply = app.command("dashboard").await;
    assert!(reply["text"].as_str().unwrap().contains("set `FIREBELL_PUBLIC_URL`"), "{reply}");
    assert_eq!(browser().get(format!("{}/", app.base_url)).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn a_one_time_link_signs_in_once_and_the_overview_lists_the_open_incidents_on_sqlite() {
    a_one_time_link_signs_in_once_and_the_overview_lists_the_open_incidents(database::sqlite()).await;
}

#[tokio::test]
async fn a_one_time_link_signs_in_once_and_the_overview_lists_the_open_incidents_on_postgres() {
    let Some(db) = database::postgres().await else { return };
    a_one_time_link_signs_in_once_and_the_overview_lists_the_open_incidents(db).await;
}

async fn a_one_time_link_signs_in_once_and_the_overview_lists_the_open_incidents(db: TestDatabase) {
    let app = app_on(Some(PUBLIC_URL), db).await;
    app.command("declare sev2 service:payments Checkout errors").await;
    app.command("declare --private sev3 Payroll export").await;
    app.outbox_drained().await;
    let browser = browser();

    // Not signed in: how to sign in, and nothing of the incidents.
    let anonymous = browser.get(format!("{}/", app.base_url)).send().await.unwrap();
    assert_eq!(anonymous.status(), 200);
    let page = anonymous.text().await.unwrap();
    assert!(page.contains("incident dashboard") && !page.contains("Checkout errors"), "{page}");

    let path = link_for(&app, "U0ONCALL1").await;
    let token = path.trim_start_matches("/login/").to_owned();
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT token_hash FROM dashboard_links").fetch_all(app.app.store.pool()).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token, "only the token's hash is stored");

    let signed_in = browser.get(format!("{}{path}", app.base_url)).send().await.unwrap();
    assert_eq!(signed_in.status(), 303);
    assert_eq!(signed_in.headers()["location"], "/");
    let cookie = signed_in.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/", "Max-Age=43200"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    let session = cookie.split(';').next().unwrap().to_owned();

    // The same link again: refused, and no session.
    let again = browser.get(format!("{}{path}", app.base_url)).send().await.unwrap();
    assert_eq!(again.status(), 403);
    assert!(again.headers().get("set-cookie").is_none());
    assert!(again.text().await.unwrap().contains("has been used, has expired or is unknown"));
    let unknown = browser.get(format!("{}/login/{}", app.base_url, "b".repeat(64))).send().await.unwrap();
    assert_eq!(unknown.status(), 403);
    let malformed = browser.get(format!("{}/login/short", app.base_url)).send().await.unwrap();
    assert_eq!(malformed.status(), 403);

    // Signed in: the open incidents, a private one without its title; no script allowed.
    let overview = browser.get(format!("{}/", app.base_url)).header("cookie", &session).send().await.unwrap();
    assert_eq!(overview.status(), 200);
    let csp = overview.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("default-src 'none'") && !csp.contains("unsafe") && !csp.contains("http"), "{csp}");
    assert_eq!(overview.headers()["referrer-policy"], "no-referrer");
    let page = overview.text().await.unwrap();
    assert!(page.contains("Checkout errors") && page.contains("SEV2") && page.contains("U0ONCALL1"), "{page}");
    assert!(page.contains("a private incident") && !page.contains("Payroll"), "{page}");
    // One script, from this origin: nothing inline for the CSP to have to allow.
    assert_eq!(page.matches("<script").count(), 1, "{page}");
    assert!(page.contains(r#"<script src="/assets/live.js" defer></script>"#), "{page}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let css = browser.get(format!("{}/assets/dashboard.css", app.base_url)).send().await.unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");

    // A forged or revoked session is no session.
    let forged = format!("firebell_session={}", "c".repeat(64));
    let page = browser.get(format!("{}/", app.base_url)).header("cookie", forged).send().await.unwrap();
    assert!(!page.text().await.unwrap().contains("Checkout errors"));
    let user = firebell::domain::ids::UserId::parse("U0ONCALL1").unwrap();
    assert_eq!(app.app.store.revoke_dashboard_sessions(&user, chrono::Utc::now()).await.unwrap(), 1);
    let revoked = browser.get(format!("{}/", app.base_url)).header("cookie", &session).send().await.unwrap();
    assert!(!revoked.text().await.unwrap().contains("Checkout errors"), "a revoked session shows nothing");
}

#[tokio::test]
async fn an_expired_link_is_refused() {
    let app = app(Some(PUBLIC_URL)).await;
    let path = link_for(&app, "U0REPORTER").await;
    sqlx::query("UPDATE dashboard_links SET expires_at = 0").execute(app.app.store.pool()).await.unwrap();
    let expired = browser().get(format!("{}{path}", app.base_url)).send().await.unwrap();
    assert_eq!(expired.status(), 403);
    assert!(expired.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn firebell_login_link_signs_in_without_slack() {
    let app = app(Some(PUBLIC_URL)).await;
    let url = app.database.url.clone();
    let run = |args: &'static [&'static str], env: Vec<(&'static str, String)>| async move {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_firebell"));
        command.args(args).env_clear().envs(env).kill_on_drop(true);
        tokio::time::timeout(std::time::Duration::from_secs(30), command.output()).await.unwrap().unwrap()
    };
    let env =
        vec![("DATABASE_URL", url.clone()), ("FIREBELL_PUBLIC_URL", PUBLIC_URL.to_owned()), ("RUST_LOG", "off".into())];
    let printed = run(&["login-link", "U0ONCALL1"], env.clone()).await;
    assert!(printed.status.success(), "{}", String::from_utf8_lossy(&printed.stderr));
    let link = String::from_utf8(printed.stdout).unwrap();
    let path = link.trim().strip_prefix(PUBLIC_URL).unwrap_or_else(|| panic!("{link}")).to_owned();
    let signed_in = browser().get(format!("{}{path}", app.base_url)).send().await.unwrap();
    assert_eq!(signed_in.status(), 303, "the link from the command line signs in");

    let refused = run(&["login-link", "alice"], env).await;
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not a Slack user id"));
    let no_url = run(&["login-link", "U0ONCALL1"], vec![("DATABASE_URL", url), ("RUST_LOG", "off".into())]).await;
    assert!(!no_url.status.success());
    assert!(String::from_utf8_lossy(&no_url.stderr).contains("FIREBELL_PUBLIC_URL"));
}

/// Where the browser tests leave their screenshots (the README shows copies of them).
pub(crate) fn screenshot_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots").join(name)
}

#[tokio::test]
async fn in_a_real_browser_a_person_signs_in_with_the_link_and_sees_the_open_incidents() {
    let Some(browser) = crate::support::browser::Browser::start().await else { return };
    // Served on the test's own loopback address, over http: the cookie is not `Secure` there.
    let app = app(Some("http://127.0.0.1")).await;
    app.command("declare sev1 service:payments Checkout errors after deploy v42").await;
    app.command("declare sev3 service:search Search results are stale").await;
    app.outbox_drained().await;

    browser.goto(&format!("{}/", app.base_url)).await;
    let signed_out = browser.text().await;
    assert!(signed_out.contains("Sign in to firebell") && signed_out.contains("/incident dashboard"), "{signed_out}");
    assert!(!signed_out.contains("Checkout errors"), "{signed_out}");
    browser.screenshot(&screenshot_path("dashboard-sign-in.png")).await;

    let reply = app.command_in("dashboard", "C0GENERAL", "U0ONCALL1").await;
    let text = reply["text"].as_str().unwrap();
    let start = text.find("http://127.0.0.1/login/").unwrap_or_else(|| panic!("{text}"));
    let path: String = text[start + "http://127.0.0.1".len()..].chars().take_while(|c| !c.is_whitespace()).collect();
    browser.goto(&format!("{}{path}", app.base_url)).await;
    assert_eq!(browser.url().await, format!("{}/", app.base_url), "the link leads to the overview");
    let overview = browser.text().await;
    for expected in
        ["Open incidents", "Checkout errors after deploy v42", "SEV1", "Search results are stale", "U0ONCALL1"]
    {
        assert!(overview.contains(expected), "{expected:?} on the page:\n{overview}");
    }
    let first_sev1 = overview.find("Checkout errors").unwrap();
    assert!(first_sev1 < overview.find("Search results").unwrap(), "most severe first:\n{overview}");
    // The stylesheet from the binary is applied (the brand in the alarm colour).
    assert_eq!(browser.style(".brand", "color").await, "rgba(198, 40, 40, 1)");
    browser.screenshot(&screenshot_path("dashboard-signed-in.png")).await;

    // The same link again, as someone who found it in the history: refused.
    browser.goto(&format!("{}{path}", app.base_url)).await;
    assert!(browser.text().await.contains("has been used, has expired or is unknown"));
    browser.quit().await;
}
