//! The dashboard's pages, server-rendered from the templates in `assets/dashboard/` (compiled
//! into the binary) with minijinja, the engine the report templates use. Every value is
//! HTML-escaped by the engine (the templates' names end in `.html`); undefined variables are
//! errors, so a template and this code cannot drift apart unnoticed.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use minijinja::{Environment, UndefinedBehavior, context};
use serde::Serialize;

use crate::catalog::{Key, Locale, status_word, text};
use crate::domain::incident::Incident;
use crate::domain::policy::Policy;
use crate::domain::reminders::update_every;

static PAGES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    for (name, source) in [
        ("layout.html", include_str!("../../assets/dashboard/layout.html")),
        ("sign_in.html", include_str!("../../assets/dashboard/sign_in.html")),
        ("overview.html", include_str!("../../assets/dashboard/overview.html")),
    ] {
        // The templates are part of the binary and checked by the tests below.
        if let Err(error) = env.add_template(name, source) {
            tracing::error!(%error, template = name, "a dashboard template does not compile");
        }
    }
    env
});

/// The stylesheet, served at `/assets/dashboard.css`.
pub const STYLESHEET: &str = include_str!("../../assets/dashboard/dashboard.css");

/// The catalog's words a page uses, by the names the templates know (the catalog marks
/// commands as `code` for Slack; a page shows them as they are typed).
fn words(locale: Locale) -> std::collections::BTreeMap<&'static str, String> {
    let t = |key| text(locale, key).as_str().replace('`', "");
    [
        ("lang", if locale == Locale::Ko { "ko".to_owned() } else { "en".to_owned() }),
        ("sign_in_title", t(Key::DashboardSignInTitle)),
        ("sign_in_how", t(Key::DashboardSignInHow)),
        ("sign_in_without_slack", t(Key::DashboardSignInWithoutSlack)),
        ("link_refused", t(Key::DashboardLinkRefused)),
        ("open_incidents", t(Key::DashboardOpenIncidents)),
        ("none_open", t(Key::DashboardNoneOpen)),
        ("severity", t(Key::DashboardSeverity)),
        ("status", t(Key::DashboardStatus)),
        ("title", t(Key::DashboardTitle)),
        ("age", t(Key::DashboardAge)),
        ("lead", t(Key::DashboardLead)),
        ("last_update", t(Key::DashboardLastUpdate)),
        ("overdue", t(Key::DashboardOverdue)),
    ]
    .into_iter()
    .collect()
}

fn render(name: &str, values: minijinja::Value) -> anyhow::Result<String> {
    Ok(PAGES.get_template(name)?.render(values)?)
}

/// The page that says how to sign in (`refused`: after a link that did not work).
pub fn sign_in(locale: Locale, refused: bool) -> anyhow::Result<String> {
    render("sign_in.html", context! { t => words(locale), user => None::<String>, refused })
}

/// One open incident as the overview lists it.
#[derive(Serialize)]
struct Row {
    number: i64,
    severity: String,
    status: &'static str,
    title: String,
    age: String,
    lead: String,
    since_update: String,
    /// No update for longer than the severity's cadence.
    overdue: bool,
}

/// The overview: the open incidents, most severe first (a private one without its title).
pub fn overview(policy: &Policy, user: &str, open: &[Incident], now: DateTime<Utc>) -> anyhow::Result<String> {
    let locale = policy.locale;
    let order = policy.severity_names();
    let mut incidents: Vec<&Incident> = open.iter().collect();
    incidents.sort_by_key(|i| (order.iter().position(|s| s == i.severity.as_str()).unwrap_or(usize::MAX), i.number.0));
    let span = |d: chrono::Duration| super::lifecycle::duration_in(locale, d.max(chrono::Duration::zero()));
    let rows: Vec<Row> = incidents
        .iter()
        .map(|i| {
            let silence = now - i.last_update_at;
            let cadence =
                chrono::Duration::from_std(update_every(policy, &i.severity)).unwrap_or(chrono::Duration::MAX);
            Row {
                number: i.number.0,
                severity: i.severity.to_string(),
                status: status_word(locale, i.status),
                title: if i.private {
                    text(locale, Key::DashboardPrivate).as_str().to_owned()
                } else {
                    i.title.clone()
                },
                age: span(now - i.declared_at),
                lead: i
                    .lead
                    .as_ref()
                    .map_or_else(|| text(locale, Key::DashboardNoLead).as_str().to_owned(), |l| l.to_string()),
                since_update: span(silence),
                overdue: silence > cadence,
            }
        })
        .collect();
    render("overview.html", context! { t => words(locale), user => Some(user), open => rows })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::config::policy::testing::contract_policy;

    #[test]
    fn the_sign_in_page_renders_in_both_languages_and_says_when_a_link_was_refused() {
        let page = sign_in(Locale::En, true).unwrap();
        assert!(page.contains("incident dashboard") && page.contains("has been used"), "{page}");
        assert!(!sign_in(Locale::En, false).unwrap().contains("has been used"));
        assert!(sign_in(Locale::Ko, false).unwrap().contains("lang=\"ko\""));
    }

    #[test]
    fn the_overview_escapes_titles_and_flags_an_incident_past_its_cadence() {
        let policy = contract_policy();
        let at = Utc.with_ymd_and_hms(2026, 12, 3, 0, 0, 0).unwrap();
        let mut incident = crate::render::api_test_incident(at);
        incident.title = "<script>alert(1)</script> & more".into();
        let page = overview(&policy, "U0ME", &[incident], at + chrono::Duration::hours(2)).unwrap();
        assert!(page.contains("&lt;script&gt;") && !page.contains("<script>"), "{page}");
        assert!(page.contains("overdue"), "two hours without an update: {page}");
        assert!(page.contains("U0ME"));
    }
}
