//! Publishing an incident report: render it from the record, publish it as a canvas of its
//! own in the incident channel (a Markdown file where canvases are unavailable), edit that
//! same document when run again, and link it once in the thread of every notice; and the
//! nudge when a report's deadline passed unpublished.

use std::collections::HashMap;

use super::retro::{canvas_link, canvases_unavailable, names, publish_file};
use super::{Step, StepContext, StepError, enqueue};
use crate::app::report::{self, Rendering};
use crate::catalog::{Key, text};
use crate::domain::ids::ChannelId;
use crate::domain::incident::{IncidentId, IncidentStatus};
use crate::domain::policy::ReportSpec;
use crate::render;
use crate::slack::{Delivery, Destination, Message, SlackCallError};
use crate::store::reports::{self as reports, pending_file_fact};
use crate::store::retrospectives::Published;

/// The publishing step: render, publish (canvas or file), then — in one transaction — record
/// it and queue the posts that announce it.
pub(super) async fn publish_report(
    cx: &StepContext,
    delivery: &Delivery,
    incident_id: IncidentId,
    name: String,
    final_: bool,
) -> Result<(), StepError> {
    let incident = cx.incident(incident_id).await?;
    let channel = cx.channel_of(&incident).await?;
    let spec = report_in_policy(cx, &name)?;
    let previous = cx.store.report(incident_id, &spec.name).await?.unwrap_or_default();
    // Once published final, a later run keeps the mark.
    let final_ = final_ || previous.final_;
    let blameless = cx.policy.retro.blameless;
    let names = if blameless { HashMap::new() } else { names(cx, incident_id).await? };
    let bot = cx.slack.bot().await?;
    cx.store.set_workspace_fact("url", &bot.url).await?;
    let rendering = Rendering { spec, template: None, final_, blameless, names: &names, now: cx.clock.now() };
    let locale = cx.policy.locale;
    let number = incident.number.to_string();
    let markdown = match report::render(&cx.store, &cx.policy, &incident, &rendering).await? {
        Ok(markdown) => markdown,
        Err(error) => {
            // The template's mistake, not Slack's: say so where the command was run, once.
            tracing::warn!(report = spec.name, error = %error, "a report template failed on an incident");
            let reason = error.to_string();
            let said =
                text(locale, Key::ReportFailed).fill(&[("name", &spec.name), ("number", &number), ("reason", &reason)]);
            let step = Step::PostInChannel { incident_id, text: said };
            return cx.enqueue_alone(&step, &format!("report:{}:job{}", spec.name, delivery.job_id())).await;
        }
    };
    let shown = spec.title.clone().unwrap_or_else(|| spec.name.clone());
    let title = text(locale, Key::ReportDocumentTitle).fill(&[("number", &number), ("report", &shown)]);
    let pending = pending_file_fact(incident_id, &spec.name);
    let published = match publish_canvas(cx, &channel, &title, &markdown, &previous.document).await {
        Ok(published) => published,
        Err(StepError::Slack(SlackCallError::Refused(code))) if canvases_unavailable(&code) => {
            tracing::info!(slack.error = code, "canvases unavailable; uploading the report as a file");
            let filename = format!("incident-{}-{}.md", incident.number, spec.name);
            publish_file(cx, &channel, &filename, &title, &markdown, &pending).await?
        }
        Err(other) => return Err(other),
    };
    let first = previous.document.versions == 0;
    let now = cx.clock.now();
    let mark = if final_ { format!(" {}", crate::report::engine::final_mark(locale)) } else { String::new() };
    let args = [("name", spec.name.as_str()), ("number", &number), ("mark", &mark)];
    let said = match &published.link {
        Some(link) => {
            let key = if first { Key::ReportPublished } else { Key::ReportUpdated };
            text(locale, key).fill(&[args.as_slice(), &[("link", link.as_str())]].concat())
        }
        None => text(locale, Key::ReportPublishedNolink).fill(&args),
    };
    let mut tx = cx.store.begin().await?;
    reports::record(&mut tx, incident_id, &spec.name, &published, final_, &markdown, now).await?;
    // Scoped by this job: a rerun after a crash does not say it twice.
    let scope = format!("report:{}:job{}", spec.name, delivery.job_id());
    enqueue(&mut tx, &Step::PostInChannel { incident_id, text: said }, &scope, now).await?;
    // The first publication is linked once in the thread of every notice (scoped by the
    // report and the channel: never twice, whatever runs again).
    if first && let Some(link) = &published.link {
        let linked = text(locale, Key::ReportLinked).fill(&[("name", &spec.name), ("number", &number), ("link", link)]);
        for notice in cx.store.notices(incident_id).await?.into_iter().filter(|n| n.error.is_none()) {
            let channel = notice.channel.to_string();
            let scope = format!("report:{}:{channel}", spec.name);
            let thread_ts = notice.ts.unwrap_or_default();
            let step = Step::ReplyInThread { incident_id, channel, thread_ts, text: linked.clone(), broadcast: false };
            enqueue(&mut tx, &step, &scope, now).await?;
        }
    }
    tx.commit().await?;
    cx.store.forget_workspace_fact(&pending).await?;
    cx.wake_outbox();
    Ok(())
}

/// The policy's entry `name`; a job queued before the policy dropped it cannot run.
fn report_in_policy<'a>(cx: &'a StepContext, name: &str) -> Result<&'a ReportSpec, StepError> {
    cx.policy.report(Some(name)).ok_or_else(|| StepError::Invalid(format!("the policy has no report named {name:?}")))
}

/// The report's own canvas: made once, edited in place on every later run.
async fn publish_canvas(
    cx: &StepContext,
    channel: &ChannelId,
    title: &str,
    markdown: &str,
    previous: &Published,
) -> Result<Published, StepError> {
    let canvas_id = match &previous.canvas_id {
        Some(canvas_id) => {
            cx.slack.replace_canvas(canvas_id, markdown).await?;
            canvas_id.clone()
        }
        None => cx.slack.create_canvas(channel, title, markdown).await?,
    };
    let link = canvas_link(cx, &canvas_id).await?;
    Ok(Published { canvas_id: Some(canvas_id), file_id: None, link: Some(link), versions: previous.versions })
}

/// The nudge when report `name` is due and unpublished: in the incident channel, naming the
/// report and mentioning the lead (else the reporter). Nothing once it is published or the
/// incident is closed (either may have happened since the deadline was claimed).
pub(super) async fn report_nudge(
    cx: &StepContext,
    delivery: &Delivery,
    incident_id: IncidentId,
    name: String,
) -> Result<(), StepError> {
    let incident = cx.incident(incident_id).await?;
    if incident.status == IncidentStatus::Closed {
        return Ok(());
    }
    let spec = report_in_policy(cx, &name)?;
    if cx.store.report(incident_id, &spec.name).await?.is_some_and(|r| r.published_at.is_some()) {
        return Ok(());
    }
    let channel = cx.channel_of(&incident).await?;
    let resolved_at = cx.store.resolved_at(incident_id).await?;
    let due = spec.due_at(incident.declared_at, resolved_at).unwrap_or_else(|| cx.clock.now());
    let person = incident.lead.as_ref().unwrap_or(&incident.reporter);
    let said = render::reminders::report_nudge(&incident, &spec.name, person, due, &cx.policy);
    cx.slack.post_message(Destination::Channel(&channel), &Message::text(said), delivery).await?;
    Ok(())
}
