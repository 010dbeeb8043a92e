//! The external pagers' side of an incident: its one PagerDuty alert (by `dedup_key`) and
//! its one Opsgenie alert (by `alias`), triggered by the first page, acknowledged by the first
//! Acknowledge and resolved with the incident. Each event is its own job, in a lane per pager
//! so they arrive in that order; each is safe to send again (the key makes a second trigger
//! the same alert, and acknowledging or resolving twice changes nothing).

use std::time::{Duration, Instant};

use serde_json::json;

use super::{JobKind, StepContext, StepError};
use crate::domain::ids::ChannelId;
use crate::domain::incident::{Incident, IncidentId};
use crate::domain::paging::{self, ExternalAction, Pager};
use crate::domain::text::truncate_chars;
use crate::pagers::{OpsgenieAlert, OpsgeniePriority, PagerDutyEvent, PagerDutyLink, PagerDutySeverity};
use crate::slack::Delivery;

/// What the external alert is called: the title, or only the number for a private incident
/// (whose title is not repeated outside its channel).
fn summary(incident: &Incident) -> String {
    if incident.private {
        format!("Incident #{} (private)", incident.number)
    } else {
        format!("Incident #{}: {}", incident.number, truncate_chars(&incident.title, 900))
    }
}

/// Opsgenie's message: the title (at most 130 characters, cut by the client), or only the
/// number for a private incident.
fn message(incident: &Incident) -> String {
    if incident.private { format!("Incident #{} (private)", incident.number) } else { incident.title.clone() }
}

/// How long a trigger waits for the incident channel being opened beside it, to link it.
const CHANNEL_WAIT: Duration = Duration::from_secs(2);

/// The incident channel; while it is being opened, waited for up to [`CHANNEL_WAIT`] (usually
/// a few tens of milliseconds) so the external alert links it. Never longer: a page must not
/// wait on Slack.
async fn channel_soon(cx: &StepContext, incident: &Incident) -> Result<Option<ChannelId>, StepError> {
    let started = Instant::now();
    let mut channel = incident.channel.clone();
    while channel.is_none() && started.elapsed() < CHANNEL_WAIT {
        if !cx.store.incident_jobs_in_flight(incident.id, &[JobKind::OpenChannel.as_str()]).await? {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        channel = cx.incident(incident.id).await?.channel;
    }
    Ok(channel)
}

/// Where the problem is, as the pagers show it: the services, or firebell.
fn source(incident: &Incident) -> String {
    let services: Vec<&str> = incident.services.iter().map(|s| s.as_str()).collect();
    if services.is_empty() { "firebell".to_owned() } else { services.join(", ") }
}

/// Sends one event to one pager. A pager turned off since the job was queued is skipped.
pub(super) async fn pager_event(
    cx: &StepContext,
    _: &Delivery,
    incident_id: IncidentId,
    pager: Pager,
    action: ExternalAction,
) -> Result<(), StepError> {
    let incident = cx.incident(incident_id).await?;
    if incident.drill {
        // Never queued for a drill; one queued anyway (by hand, by an older version) is not sent.
        tracing::warn!(pager = pager.as_str(), "an external pager event for a drill was not sent");
        return Ok(());
    }
    let key = paging::external_key(incident.id.get(), incident.declared_at);
    let rank = paging::severity_rank(&cx.policy, &incident.severity).unwrap_or(usize::MAX);
    let note = format!("firebell: incident #{} {}", incident.number, action.as_str());
    let sent = match pager {
        Pager::PagerDuty => {
            let Some(client) = &cx.pagers.pagerduty else { return skipped(pager) };
            let event = match action {
                ExternalAction::Trigger => {
                    let channel = channel_soon(cx, &incident).await?;
                    PagerDutyEvent::Trigger {
                        dedup_key: key,
                        summary: summary(&incident),
                        source: source(&incident),
                        severity: PagerDutySeverity::for_policy_rank(rank),
                        links: channel
                            .iter()
                            .map(|c| PagerDutyLink {
                                href: format!("https://slack.com/app_redirect?channel={c}"),
                                text: "Incident channel in Slack".to_owned(),
                            })
                            .collect(),
                        custom_details: json!({
                            "incident": incident.number.to_string(),
                            "severity": incident.severity.as_str(),
                            "services": source(&incident),
                        }),
                    }
                }
                ExternalAction::Acknowledge => PagerDutyEvent::Acknowledge { dedup_key: key },
                ExternalAction::Resolve => PagerDutyEvent::Resolve { dedup_key: key },
            };
            client.send(&event).await
        }
        Pager::Opsgenie => {
            let Some(client) = &cx.pagers.opsgenie else { return skipped(pager) };
            match action {
                ExternalAction::Trigger => {
                    let alert = OpsgenieAlert {
                        alias: key,
                        message: message(&incident),
                        description: format!(
                            "{} incident #{} declared in Slack by firebell.",
                            incident.severity, incident.number
                        ),
                        priority: OpsgeniePriority::for_policy_rank(rank),
                        source: source(&incident),
                        details: [
                            ("incident".to_owned(), incident.number.to_string()),
                            ("severity".to_owned(), incident.severity.to_string()),
                        ]
                        .into_iter()
                        .collect(),
                    };
                    client.create(&alert).await
                }
                ExternalAction::Acknowledge => client.acknowledge(&key, &note).await,
                ExternalAction::Resolve => client.close(&key, &note).await,
            }
        }
    };
    sent?;
    cx.metrics.count("firebell_pager_events_total", &[("pager", pager.as_str()), ("action", action.as_str())]);
    tracing::info!(pager = pager.as_str(), action = action.as_str(), "external pager told");
    Ok(())
}

fn skipped(pager: Pager) -> Result<(), StepError> {
    tracing::warn!(pager = pager.as_str(), "an event for a pager that is no longer turned on was not sent");
    Ok(())
}
