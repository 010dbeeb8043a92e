//! The dashboard's incident pages (`/incidents`, `/incidents/N`): the values the templates in
//! `assets/dashboard/` show, in the policy's language and time zone. Pure.

use chrono::{DateTime, Utc};
use minijinja::context;
use serde::Serialize;

use super::dashboard::{plain, render, words};
use crate::app::incident_page::{IncidentPage, IncidentStory, ListQuery};
use crate::catalog::{Key, Locale, role_name, status_word, text};
use crate::domain::dashboard_form::TEXT_LIMIT;
use crate::domain::incident::{Incident, IncidentStatus};
use crate::domain::policy::Policy;
use crate::domain::retrospective::{Line, label, permalink};
use crate::render::followups::group_label;
use crate::render::lifecycle::duration_in;
use crate::render::time::{clock, date, moment};

/// What a page says after a form was posted.
#[derive(Clone, Debug, Serialize)]
pub struct Flash {
    /// `done` or `refused`.
    pub kind: &'static str,
    pub text: String,
}

impl Flash {
    pub fn done(locale: Locale) -> Flash {
        Flash { kind: "done", text: text(locale, Key::DashboardDone).as_str().to_owned() }
    }

    /// A refusal or a grammar error, as the command would have said it (its Slack markup
    /// taken out).
    pub fn refused(reason: &str) -> Flash {
        Flash { kind: "refused", text: plain(reason) }
    }
}

/// What the page says about text longer than the forms take.
pub fn too_long(locale: Locale, length: usize) -> String {
    text(locale, Key::DashboardTooLong).fill(&[("length", &length.to_string()), ("limit", &TEXT_LIMIT.to_string())])
}

/// A link into Slack: the message's permalink once the workspace's address is known, else
/// the channel.
fn slack_link(workspace: Option<&str>, channel: &str, ts: Option<&str>) -> String {
    ts.and_then(|ts| permalink(workspace, channel, ts))
        .unwrap_or_else(|| format!("https://slack.com/app_redirect?channel={channel}"))
}

/// One incident in the list: a private one is only its number, severity and status there
/// (its page shows the rest to its people).
#[derive(Serialize)]
struct Row {
    number: i64,
    severity: String,
    status: &'static str,
    title: String,
    declared: String,
}

fn row(incident: &Incident, policy: &Policy) -> Row {
    let locale = policy.locale;
    Row {
        number: incident.number.0,
        severity: incident.severity.to_string(),
        status: status_word(locale, incident.status),
        title: if incident.private {
            text(locale, Key::DashboardPrivate).as_str().to_owned()
        } else {
            incident.title.clone()
        },
        declared: moment(incident.declared_at, policy),
    }
}

/// The incident list with its search form (the filters as typed, kept in the form).
pub fn list(
    policy: &Policy,
    user: &str,
    query: &ListQuery,
    incidents: &[Incident],
    capped_at: Option<i64>,
) -> anyhow::Result<String> {
    let locale = policy.locale;
    let rows: Vec<Row> = incidents.iter().map(|i| row(i, policy)).collect();
    let statuses = [("open", text(locale, Key::DashboardOpenWord).as_str().to_owned())]
        .into_iter()
        .chain(
            [IncidentStatus::Resolved, IncidentStatus::Closed].map(|s| (s.as_str(), status_word(locale, s).to_owned())),
        )
        .collect::<Vec<_>>();
    let capped = capped_at
        .map(|count| text(locale, Key::DashboardListCapped).fill(&[("count", &count.to_string())]))
        .unwrap_or_default();
    render(
        "incidents.html",
        context! {
            t => words(locale),
            user => Some(user),
            query => context! { q => query.q, severity => query.severity, service => query.service, status => query.status },
            severities => policy.severity_names(),
            services => policy.service_names(),
            statuses,
            incidents => rows,
            capped,
        },
    )
}

#[derive(Serialize)]
struct TimelineRow {
    at: String,
    who: String,
    text: String,
    highlight: bool,
    link: Option<String>,
}

#[derive(Serialize)]
struct Labelled {
    label: String,
    value: String,
    link: Option<String>,
}

fn labelled(label: String, value: String, link: Option<String>) -> Labelled {
    Labelled { label, value, link }
}

/// Everything the page of an incident the viewer may see shows.
fn story(incident: &Incident, story: &IncidentStory, policy: &Policy, now: DateTime<Utc>) -> minijinja::Value {
    let locale = policy.locale;
    let t = |key| plain(text(locale, key).as_str());
    let workspace = story.workspace_url.as_deref();
    let channel = incident.channel.as_ref().map(|c| c.to_string());
    let times = &story.story.times;
    let none = t(Key::RetroNotYet);
    let at = |when: Option<DateTime<Utc>>| when.map_or_else(|| none.clone(), |w| moment(w, policy));
    let key_times = vec![
        labelled(t(Key::RetroStarted), at(times.started), None),
        labelled(t(Key::RetroDetected), at(times.detected), None),
        labelled(t(Key::RetroDeclared), at(times.declared), None),
        labelled(t(Key::RetroAcknowledged), at(times.acknowledged), None),
        labelled(t(Key::RetroMitigated), at(times.mitigated), None),
        labelled(t(Key::RetroResolved), at(times.resolved.or(story.resolved_at)), None),
    ];
    let timeline: Vec<TimelineRow> = story
        .story
        .timeline
        .iter()
        .map(|entry| {
            let highlight = matches!(entry.line, Line::Highlight { .. } | Line::Message { highlighted: true, .. });
            let said = super::retro::describe(locale, entry);
            TimelineRow {
                at: clock(entry.at, policy),
                who: entry.who.as_ref().map(|who| label(who, locale)).unwrap_or_else(|| "firebell".to_owned()),
                text: plain(&said.replace(":pushpin: ", "").replace("\\|", "|")),
                highlight,
                link: entry.permalink.clone(),
            }
        })
        .collect();
    let roles: Vec<Labelled> = story
        .roles
        .iter()
        .map(|(role, user)| labelled(role_name(locale, role.as_str()), user.to_string(), None))
        .collect();
    let notices: Vec<Labelled> = story
        .notices
        .iter()
        .map(|notice| {
            let channel = notice.channel.to_string();
            let state = match (&notice.ts, &notice.error) {
                (_, Some(error)) => text(locale, Key::DashboardNoticeFailed).fill(&[("error", error)]),
                (Some(_), None) => moment(notice.at, policy),
                (None, None) => t(Key::DashboardNoticePending),
            };
            let link = notice.ts.as_deref().map(|ts| slack_link(workspace, &channel, Some(ts)));
            labelled(channel, state, link)
        })
        .collect();
    let today = now.with_timezone(&policy.timezone).date_naive();
    let followups: Vec<minijinja::Value> = story
        .followups
        .iter()
        .map(|f| {
            context! {
                id => f.id,
                group => group_label(locale, f.group),
                text => f.text,
                owner => f.owner.as_ref().map(|o| o.to_string()),
                due => f.due.map(|d| date(d, locale)),
                done => f.done_at.is_some(),
                overdue => f.overdue(today),
            }
        })
        .collect();
    let reports: Vec<minijinja::Value> = story
        .reports
        .iter()
        .map(|(name, report)| context! { name, link => report.document.link, final_ => report.final_ })
        .collect();
    let similar: Vec<minijinja::Value> = story
        .similar
        .iter()
        .map(|past| {
            let lasted = past.resolved_at.map(|r| duration_in(locale, r - past.incident.declared_at));
            context! {
                number => past.incident.number.0,
                title => past.incident.title,
                declared => date(past.incident.declared_at.with_timezone(&policy.timezone).date_naive(), locale),
                lasted,
                first_action => past.first_action,
                retrospective => past.retrospective,
            }
        })
        .collect();
    context! {
        channel_name => incident.channel_name,
        channel_link => channel.as_deref().map(|c| slack_link(workspace, c, None)),
        services => incident.services.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", "),
        impact => incident.impact,
        description => incident.description,
        reporter => incident.reporter.to_string(),
        lead => incident.lead.as_ref().map(|l| l.to_string()),
        key_times,
        fields => story.fields.iter().map(|(k, v)| labelled(k.clone(), v.clone(), None)).collect::<Vec<_>>(),
        timeline,
        roles,
        notices,
        followups,
        reports,
        retrospective => story.retrospective.as_ref().and_then(|r| r.link.clone()),
        similar,
    }
}

/// The forms of an open (or resolved: it can be reopened) incident.
fn forms(incident: &Incident, policy: &Policy, csrf: &str) -> Option<minijinja::Value> {
    if incident.status == IncidentStatus::Closed {
        return None;
    }
    let locale = policy.locale;
    let statuses: Vec<(&str, &str)> =
        [IncidentStatus::Investigating, IncidentStatus::Identified, IncidentStatus::Monitoring]
            .into_iter()
            .map(|s| (s.as_str(), status_word(locale, s)))
            .collect();
    Some(context! {
        csrf,
        statuses,
        status => incident.status.as_str(),
        severities => policy.severity_names(),
        severity => incident.severity.as_str(),
        kinds => policy.actions,
        resolved => incident.status == IncidentStatus::Resolved,
        limit => TEXT_LIMIT,
    })
}

/// An incident's page for a signed-in user (`csrf`: their session's token for the forms).
pub fn incident(
    policy: &Policy,
    user: &str,
    csrf: &str,
    page: &IncidentPage,
    flash: Option<&Flash>,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let locale = policy.locale;
    let incident = &page.incident;
    let shown = page.story.as_ref();
    let (waiting, retrying) = page.backlog;
    let slack_waiting =
        (retrying > 0).then(|| text(locale, Key::DashboardSlackWaiting).fill(&[("count", &waiting.to_string())]));
    render(
        "incident.html",
        context! {
            t => words(locale),
            user => Some(user),
            number => incident.number.0,
            title => if shown.is_some() { incident.title.clone() } else { text(locale, Key::DashboardPrivate).as_str().to_owned() },
            severity => incident.severity.as_str(),
            status => status_word(locale, incident.status),
            story => shown.map(|s| story(incident, s, policy, now)),
            forms => shown.and_then(|_| forms(incident, policy, csrf)),
            flash,
            slack_waiting,
        },
    )
}

/// The page for an incident number that does not exist.
pub fn not_found(locale: Locale, user: &str, number: &str) -> anyhow::Result<String> {
    message(locale, user, &text(locale, Key::DashboardNotFound).fill(&[("number", number)]))
}

/// A page that only says `message` (plain text: escaped like every value).
pub fn message(locale: Locale, user: &str, message: &str) -> anyhow::Result<String> {
    render("message.html", context! { t => words(locale), user => Some(user), message => plain(message) })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::config::policy::testing::contract_policy;

    fn korean() -> Policy {
        let mut policy = contract_policy();
        policy.locale = Locale::Ko;
        policy
    }

    #[test]
    fn the_list_is_in_the_policys_language_and_keeps_what_was_typed_escaped() {
        let at = chrono::Utc.with_ymd_and_hms(2026, 12, 3, 0, 0, 0).unwrap();
        let mut private = crate::render::api_test_incident(at);
        private.private = true;
        let query = ListQuery { q: "\"><script>".into(), ..ListQuery::default() };
        let page = list(&korean(), "U0ME", &query, &[private], Some(200)).unwrap();
        assert!(page.contains(r#"lang="ko""#) && page.contains("장애 목록") && page.contains("비공개 장애"), "{page}");
        assert!(!page.contains("Checkout errors"), "a private incident's title is not listed");
        assert!(page.contains("&quot;&gt;&lt;script&gt;") && !page.contains("\"><script>"), "{page}");
        assert!(page.contains("최근 200건"), "says the list is capped: {page}");
    }

    #[test]
    fn a_private_incidents_page_for_a_stranger_has_no_story_and_no_forms() {
        let at = chrono::Utc.with_ymd_and_hms(2026, 12, 3, 0, 0, 0).unwrap();
        let mut incident = crate::render::api_test_incident(at);
        incident.private = true;
        let page = IncidentPage { incident, story: None, backlog: (2, 1) };
        let html = super::incident(&korean(), "U0ME", "t0k3n", &page, None, at).unwrap();
        assert!(html.contains("비공개 장애") && html.contains("SEV2"), "{html}");
        assert!(!html.contains("Checkout errors") && !html.contains("t0k3n") && !html.contains("<form"), "{html}");
        assert!(html.contains("Slack이 응답하지 않습니다"), "the waiting changes are said: {html}");
    }
}
