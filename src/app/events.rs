//! Events API deliveries: verify the workspace, record, acknowledge.
//!
//! A delivery is recorded by `event_id` before it is acknowledged, so a repeat (Slack's
//! retries, or a copy arriving while the first is still being handled) is recognised and has
//! its effect once. The handlers that act on recorded events arrive with the events feature.

use super::App;
use crate::slack::inbound::EventEnvelope;
use crate::store::deliveries::NewDelivery;

/// What became of an Events API delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventOutcome {
    /// `url_verification`: answer with this challenge.
    Challenge(String),
    /// A new event, recorded.
    Recorded,
    /// An `event_id` seen before: acknowledged, nothing done.
    Duplicate,
    /// An envelope type firebell does not use: acknowledged, nothing done.
    Ignored,
    /// From another workspace: refused.
    WrongWorkspace,
}

impl App {
    /// Records an Events API delivery (de-duplicated by `event_id`).
    #[tracing::instrument(skip_all)]
    pub async fn receive_event(&self, envelope: EventEnvelope, retry_num: i64) -> anyhow::Result<EventOutcome> {
        let callback = match envelope {
            EventEnvelope::UrlVerification { challenge } => {
                return Ok(EventOutcome::Challenge(challenge));
            }
            EventEnvelope::Other { kind } => {
                tracing::debug!(slack.envelope = kind, "ignored an Events API envelope");
                self.metrics.count(
                    "firebell_slack_events_total",
                    &[("type", "other"), ("outcome", "ignored")],
                );
                return Ok(EventOutcome::Ignored);
            }
            EventEnvelope::Callback(callback) => callback,
        };
        if callback.team_id != self.team_id {
            tracing::warn!(slack.team = %callback.team_id, "refused an event from another workspace");
            return Ok(EventOutcome::WrongWorkspace);
        }
        let payload = callback.raw.to_string();
        let delivery = NewDelivery {
            event_id: &callback.event_id,
            event_type: &callback.event_type,
            team_id: callback.team_id.as_str(),
            payload: &payload,
            retry_num,
        };
        let fresh = self.store.record_delivery(&delivery, self.clock.now()).await?;
        let outcome = if fresh { "recorded" } else { "duplicate" };
        self.metrics.count(
            "firebell_slack_events_total",
            &[("type", known_event_type(&callback.event_type)), ("outcome", outcome)],
        );
        tracing::debug!(
            slack.event_id = callback.event_id,
            slack.event_type = callback.event_type,
            outcome,
            "event delivery"
        );
        Ok(if fresh {
            EventOutcome::Recorded
        } else {
            EventOutcome::Duplicate
        })
    }
}

/// Event types become metric labels only from Slack's fixed set, so a hostile payload cannot
/// grow the label space.
fn known_event_type(kind: &str) -> &'static str {
    const KNOWN: [&str; 9] = [
        "message",
        "app_mention",
        "reaction_added",
        "reaction_removed",
        "member_joined_channel",
        "pin_added",
        "pin_removed",
        "channel_archive",
        "channel_rename",
    ];
    KNOWN.into_iter().find(|k| *k == kind).unwrap_or("other")
}
