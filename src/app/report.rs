//! Incident reports: render a `[[reports]]` entry for an incident from the database (what
//! `firebell report` prints, and what `/incident report` publishes), queue the publication,
//! and find the reports whose deadline passed. Publishing itself — the canvas or file, the
//! links in the notices' threads — is an outbox step: `jobs/report.rs`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::App;
use super::jobs::{self, Step};
use super::reply::Reply;
use crate::catalog::{Key, text};
use crate::domain::ids::UserId;
use crate::domain::incident::Incident;
use crate::domain::policy::{Policy, ReportSpec};
use crate::domain::retrospective::Gathered;
use crate::report::{self, ReportInput, ReportMeta, Template, TemplateError};
use crate::store::Store;
use crate::store::reports::claim_nudge;

/// How a report is rendered: which template, marked final or not, and whose names.
pub struct Rendering<'a> {
    pub spec: &'a ReportSpec,
    /// Another template than the entry's (`firebell report --template FILE`).
    pub template: Option<&'a Template>,
    pub final_: bool,
    /// People as roles (the policy's `retro.blameless` unless names were asked for).
    pub blameless: bool,
    pub names: &'a HashMap<UserId, String>,
    pub now: DateTime<Utc>,
}

/// The report's text from the database alone; the outer error is the database's, the inner
/// the template's (a template that checked against the sample can still fail on a real
/// incident, e.g. arithmetic on a text field).
pub async fn render(
    store: &Store,
    policy: &Policy,
    incident: &Incident,
    rendering: &Rendering<'_>,
) -> anyhow::Result<Result<String, TemplateError>> {
    let spec = rendering.spec;
    let template = match rendering.template {
        Some(template) => template.clone(),
        None => match &spec.source {
            Some(source) => Template { name: spec.template.clone(), source: source.clone() },
            None => anyhow::bail!("the template {} of report {} was not loaded", spec.template, spec.name),
        },
    };
    let timeline = store.timeline(incident.id).await?;
    let messages = store.messages(incident.id).await?;
    let followups = store.followups(incident.id).await?;
    let roles = store.roles(incident.id).await?;
    let fields = store.incident_fields(incident.id).await?;
    let changes = super::changes::changes_at_declaration(store, policy, incident).await?;
    let serious: Vec<_> = policy.severities.iter().take(2).map(|s| s.name.clone()).collect();
    let workspace_url = store.workspace_fact("url").await?;
    let input = ReportInput {
        gathered: Gathered {
            incident,
            timeline: &timeline,
            messages: &messages,
            followups: &followups,
            roles: &roles,
            names: rendering.names,
            blameless: rendering.blameless,
            serious: &serious,
            workspace_url: workspace_url.as_deref(),
            locale: policy.locale,
        },
        policy,
        changes: &changes,
        fields: &fields,
        report: ReportMeta {
            name: &spec.name,
            title: spec.title.as_deref(),
            due: spec.due_at(incident.declared_at, store.resolved_at(incident.id).await?),
            final_: rendering.final_,
        },
        now: rendering.now,
    };
    Ok(report::render(&template, &input))
}

/// A deadline missed while firebell was down is still nudged when it passed this recently;
/// older ones (an incident left resolved for weeks, a report added to the policy later) are
/// not: a nudge about a report due a week ago is noise, not help.
const DEADLINE_GRACE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

impl App {
    /// `/incident report [NAME] [final]`: queue the publication and say so; an unknown name
    /// gets the names there are.
    pub async fn start_report(&self, incident: &Incident, name: Option<&str>, final_: bool) -> anyhow::Result<Reply> {
        let locale = self.policy.locale;
        let Some(spec) = self.policy.report(name) else {
            let names: Vec<String> = self.policy.reports.iter().map(|r| format!("`{}`", r.name)).collect();
            return Ok(Reply::ephemeral(
                text(locale, Key::ReportUnknown)
                    .fill(&[("name", name.unwrap_or_default()), ("names", &names.join(", "))]),
            ));
        };
        let now = self.clock.now();
        let mut conn = self.store.pool().acquire().await?;
        let step = Step::PublishReport { incident_id: incident.id, name: spec.name.clone(), final_ };
        jobs::enqueue(&mut conn, &step, &now.timestamp_millis().to_string(), now).await?;
        self.wake_outbox();
        let key = if final_ { Key::ReportBuildingFinal } else { Key::ReportBuilding };
        Ok(Reply::ephemeral(text(locale, key).fill(&[("name", &spec.name), ("number", &incident.number.to_string())])))
    }

    /// Nudges, once each, the reports whose deadline passed unpublished (called by the
    /// reminder tick). The claim and the nudge's job are one transaction.
    pub(super) async fn tick_report_deadlines(&self, now: DateTime<Utc>) -> anyhow::Result<()> {
        let since = now - chrono::Duration::from_std(DEADLINE_GRACE).unwrap_or_default();
        for spec in self.policy.reports.iter().filter(|r| r.due.is_some()) {
            let due_millis = spec.due.map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
            for (incident_id, due) in self.store.reports_due(&spec.name, spec.due_after, due_millis, since, now).await?
            {
                let mut tx = self.store.begin().await?;
                if !claim_nudge(&mut tx, incident_id, &spec.name, now).await? {
                    tx.rollback().await?;
                    continue;
                }
                let step = Step::ReportNudge { incident_id, name: spec.name.clone() };
                jobs::enqueue(&mut tx, &step, &due.timestamp_millis().to_string(), now).await?;
                tx.commit().await?;
                self.metrics.count("firebell_reminders_total", &[("kind", "report_nudge")]);
                self.wake_outbox();
            }
        }
        Ok(())
    }
}
