//! The dashboard's pages, server-rendered from the templates in `assets/dashboard/` (compiled
//! into the binary) with minijinja, the engine the report templates use. Every value is
//! HTML-escaped by the engine (the templates' names end in `.html`); undefined variables are
//! errors, so a template and this code cannot drift apart unnoticed.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use minijinja::{Environment, UndefinedBehavior, context};
use serde::Serialize;

use crate::app::incident_page::OpenIncident;
use crate::catalog::{Key, Locale, status_word, text};
use crate::domain::policy::Policy;
use crate::domain::reminders::update_every;

static PAGES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    for (name, source) in [
        ("layout.html", include_str!("../../assets/dashboard/layout.html")),
        ("sign_in.html", include_str!("../../assets/dashboard/sign_in.html")),
        ("overview.html", include_str!("../../assets/dashboard/overview.html")),
        ("incidents.html", include_str!("../../assets/dashboard/incidents.html")),
        ("incident.html", include_str!("../../assets/dashboard/incident.html")),
        ("message.html", include_str!("../../assets/dashboard/message.html")),
        ("figures.html", super::overview::TEMPLATE),
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

/// The script that keeps a page current (`/assets/live.js`); pages work without it.
pub const LIVE_SCRIPT: &str = include_str!("../../assets/dashboard/live.js");

/// Catalog text as a page shows it: without Slack's markup (`code`, *bold*, _italics_,
/// Markdown headings), which the catalog carries for Slack and documents.
pub(super) fn plain(text: &str) -> String {
    let text = text.trim_start_matches(['#', ' ']).replace(['`', '*'], "");
    let text = text.strip_prefix('_').and_then(|t| t.strip_suffix('_')).map_or(text.clone(), str::to_owned);
    text.trim().to_owned()
}

/// The catalog's words a page uses: every `dashboard.NAME` as `t.NAME`, and a few the
/// retrospective already has.
pub(super) fn words(locale: Locale) -> std::collections::BTreeMap<&'static str, String> {
    let t = |key| plain(text(locale, key).as_str());
    let mut words: std::collections::BTreeMap<&'static str, String> =
        Key::ALL.iter().filter_map(|key| key.id().strip_prefix("dashboard.").map(|name| (name, t(*key)))).collect();
    words.insert("lang", if locale == Locale::Ko { "ko".to_owned() } else { "en".to_owned() });
    words.insert("key_times", t(Key::RetroKeyTimes));
    words.insert("timeline", t(Key::RetroTimeline));
    words.insert("followups", t(Key::RetroFollowups));
    words.insert("reporter", t(Key::RetroPersonReporter));
    words.insert("declared", t(Key::RetroDeclared));
    words
}

pub(super) fn render(name: &str, values: minijinja::Value) -> anyhow::Result<String> {
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
    /// Whether a page was acknowledged (empty: nobody was paged).
    oncall: String,
}

/// The overview: the open incidents, most severe first (a private one without its title for
/// those who may not see it).
pub fn overview(
    policy: &Policy,
    user: &str,
    open: &[OpenIncident],
    figures: &super::overview::Figures,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let locale = policy.locale;
    let order = policy.severity_names();
    let mut incidents: Vec<&OpenIncident> = open.iter().collect();
    incidents.sort_by_key(|o| {
        let i = &o.incident;
        (order.iter().position(|s| s == i.severity.as_str()).unwrap_or(usize::MAX), i.number.0)
    });
    let span = |d: chrono::Duration| super::lifecycle::duration_in(locale, d.max(chrono::Duration::zero()));
    let t = |key| text(locale, key).as_str().to_owned();
    let rows: Vec<Row> = incidents
        .iter()
        .map(|open| {
            let i = &open.incident;
            let silence = now - i.last_update_at;
            let cadence =
                chrono::Duration::from_std(update_every(policy, &i.severity)).unwrap_or(chrono::Duration::MAX);
            Row {
                number: i.number.0,
                severity: i.severity.to_string(),
                status: status_word(locale, i.status),
                title: if open.visible { i.title.clone() } else { t(Key::DashboardPrivate) },
                age: span(now - i.declared_at),
                lead: i.lead.as_ref().map_or_else(|| t(Key::DashboardNoLead), |l| l.to_string()),
                since_update: span(silence),
                overdue: silence > cadence,
                oncall: match open.oncall_acknowledged {
                    None => String::new(),
                    Some(true) => t(Key::DashboardAcknowledged),
                    Some(false) => t(Key::DashboardNotAcknowledged),
                },
            }
        })
        .collect();
    render("overview.html", context! { t => words(locale), user => Some(user), open => rows, figures })
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
        let open = OpenIncident { incident, visible: true, oncall_acknowledged: Some(false) };
        let now = at + chrono::Duration::hours(2);
        let quiet = crate::domain::overview::Overview {
            days: 30,
            stats: Default::default(),
            weekly: crate::domain::overview::weekly_by_severity(&[], &policy.severity_names(), at, now),
            followups: crate::domain::overview::followup_tallies(&[], at.date_naive()),
            alerts: Vec::new(),
            changes: Vec::new(),
        };
        let figures = crate::render::overview::figures(&quiet, &policy, now).unwrap();
        let page = overview(&policy, "U0ME", &[open], &figures, now).unwrap();
        assert!(page.contains("&lt;script&gt;") && !page.contains("<script>"), "{page}");
        assert!(page.contains("overdue"), "two hours without an update: {page}");
        assert!(page.contains("U0ME"));
        assert!(page.contains("not acknowledged"), "paged, nobody acknowledged: {page}");
        assert!(page.contains("<svg") && page.contains(r#"id="figures" data-live"#), "the figures: {page}");
    }
}
