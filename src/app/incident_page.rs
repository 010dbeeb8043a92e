//! The dashboard's incident pages: an incident's whole story gathered from the record, the
//! list with search and filters, and acting from the page — through [`App::act`], the path
//! every command, button and modal takes, so the permissions, the timeline and the Slack side
//! (the outbox) are the same; while Slack is down the change is kept and Slack catches up.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::App;
use crate::domain::dashboard_form::{ActForm, FormError, action_of, csrf_matches, may_see};
use crate::domain::followup::Followup;
use crate::domain::ids::UserId;
use crate::domain::incident::{Incident, IncidentNumber, RoleName};
use crate::domain::retrospective::Retrospective;
use crate::domain::search::query_words;
use crate::domain::similar::PastIncident;
use crate::store::dashboard::DashboardSession;
use crate::store::incidents::ApiStatus;
use crate::store::notices::Notice;
use crate::store::reports::PublishedReport;
use crate::store::retrospectives::Published;
use crate::store::search::IncidentFilter;

/// The most incidents the list shows (the newest).
pub const LIST_LIMIT: i64 = 200;

/// What the page of an incident the viewer may see shows.
pub struct IncidentStory {
    pub resolved_at: Option<DateTime<Utc>>,
    pub fields: Vec<(String, String)>,
    pub roles: Vec<(RoleName, UserId)>,
    /// Key times and the timeline with its highlights, as the retrospective tells them (with
    /// people's ids, not blameless labels: this is the working view).
    pub story: Retrospective,
    pub notices: Vec<Notice>,
    /// `https://acme.slack.com/`, for links into Slack, once known.
    pub workspace_url: Option<String>,
    pub followups: Vec<Followup>,
    /// Each report of the policy that was published, by name.
    pub reports: Vec<(String, PublishedReport)>,
    pub retrospective: Option<Published>,
    pub similar: Vec<PastIncident>,
}

/// An incident's page.
pub struct IncidentPage {
    pub incident: Incident,
    /// `None` for a private incident the viewer is not known in: only its number, severity
    /// and status are shown.
    pub story: Option<IncidentStory>,
    /// The incident's changes still to reach Slack, and how many of them failed at least once.
    pub backlog: (i64, i64),
}

/// What came of a form posted from an incident's page.
#[derive(Debug, PartialEq, Eq)]
pub enum Acted {
    /// Recorded; Slack follows through the outbox.
    Done,
    /// Refused, with what the command would have answered (the reason and what to do).
    Refused(String),
    /// The form did not carry this session's CSRF token: nothing changed.
    Forged,
    /// No such incident, or a private one the user is not known in.
    NotFound,
}

/// The list's filters as typed in the page's search form.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub service: String,
    #[serde(default)]
    pub status: String,
}

/// An open incident as the overview lists it.
pub struct OpenIncident {
    pub incident: Incident,
    /// Whether the viewer may see its details (see [`may_see`]).
    pub visible: bool,
    /// `None`: nobody was paged; else whether a page was acknowledged.
    pub oncall_acknowledged: Option<bool>,
}

impl App {
    /// The open incidents for `user`'s overview, with whether the on-call acknowledged.
    pub async fn open_incidents_for(&self, user: &UserId) -> anyhow::Result<Vec<OpenIncident>> {
        let mut open = Vec::new();
        for incident in self.store.open_incidents().await? {
            let pages = self.store.pages(incident.id).await?;
            let oncall_acknowledged = (!pages.is_empty()).then(|| pages.iter().any(|p| p.acknowledged_at.is_some()));
            let visible = self.may_see(&incident, user).await?;
            open.push(OpenIncident { incident, visible, oncall_acknowledged });
        }
        Ok(open)
    }

    /// Whether `user` may see `incident` on the dashboard.
    pub async fn may_see(&self, incident: &Incident, user: &UserId) -> anyhow::Result<bool> {
        if !incident.private {
            return Ok(true);
        }
        let known = self.store.known_in_channel(incident.id, user).await?;
        Ok(may_see(incident, &self.policy, user, known))
    }

    /// Incident `number`'s page for `user`; `None` when there is no such incident.
    pub async fn incident_page(&self, number: i64, user: &UserId) -> anyhow::Result<Option<IncidentPage>> {
        let Some(incident) = self.store.incident_by_number(IncidentNumber(number)).await? else { return Ok(None) };
        let backlog = self.store.incident_backlog(incident.id).await?;
        let story = if self.may_see(&incident, user).await? { Some(self.story(&incident).await?) } else { None };
        Ok(Some(IncidentPage { incident, story, backlog }))
    }

    async fn story(&self, incident: &Incident) -> anyhow::Result<IncidentStory> {
        let store = &self.store;
        let story = super::retro::build(store, &self.policy, incident, false, &HashMap::new()).await?;
        let mut reports = Vec::new();
        for spec in &self.policy.reports {
            if let Some(report) = store.report(incident.id, &spec.name).await? {
                reports.push((spec.name.clone(), report));
            }
        }
        Ok(IncidentStory {
            resolved_at: store.resolved_at(incident.id).await?,
            fields: store.incident_fields(incident.id).await?,
            roles: store.roles(incident.id).await?,
            story,
            notices: store.notices(incident.id).await?,
            workspace_url: store.workspace_fact("url").await?,
            followups: store.followups(incident.id).await?,
            reports,
            retrospective: store.retrospective(incident.id).await?,
            similar: super::similar::similar_incidents(store, incident).await?,
        })
    }

    /// Applies a form posted from incident `number`'s page by the session's user: the CSRF
    /// token first, then who may see it, then the same decision as the command's.
    pub async fn act_on_page(&self, session: &DashboardSession, number: i64, form: &ActForm) -> anyhow::Result<Acted> {
        if !csrf_matches(&session.csrf, &form.csrf) {
            return Ok(Acted::Forged);
        }
        let Some(incident) = self.store.incident_by_number(IncidentNumber(number)).await? else {
            return Ok(Acted::NotFound);
        };
        if !self.may_see(&incident, &session.user).await? {
            return Ok(Acted::NotFound);
        }
        let action = match action_of(form, &self.policy) {
            Ok(action) => action,
            Err(FormError::Grammar(error)) => {
                return Ok(Acted::Refused(super::reply::grammar_error(&error, &self.policy).text));
            }
            Err(FormError::TooLong { length }) => {
                return Ok(Acted::Refused(crate::render::incident_page::too_long(self.policy.locale, length)));
            }
        };
        self.metrics.count("firebell_dashboard_actions_total", &[("action", action_word(&form.act))]);
        Ok(match self.act(&incident, action, &session.user).await? {
            Ok(()) => Acted::Done,
            Err(refusal) => Acted::Refused(refusal),
        })
    }

    /// The incidents the list shows for `query`, newest first; words that are not a known
    /// severity, service or status narrow nothing (the page says what it understood).
    pub async fn incident_list(&self, query: &ListQuery) -> anyhow::Result<Vec<Incident>> {
        let words = query_words(&query.q);
        let severity = crate::domain::command::severity_named(query.severity.trim(), &self.policy);
        let service = self.policy.service(query.service.trim()).map(|s| s.name.clone());
        let status = match query.status.trim() {
            "open" => Some(ApiStatus::Open),
            "resolved" => Some(ApiStatus::Resolved),
            "closed" => Some(ApiStatus::Closed),
            _ => None,
        };
        let filter = IncidentFilter {
            words: &words,
            severity: severity.as_ref().map(|s| s.as_str()),
            service: service.as_ref(),
            status,
        };
        self.store.find_incidents(&filter, LIST_LIMIT).await
    }
}

/// A metric label from the form's fixed set (a posted word never grows the label space).
fn action_word(act: &str) -> &'static str {
    ["update", "status", "severity", "action", "resolve"].into_iter().find(|w| *w == act).unwrap_or("other")
}
