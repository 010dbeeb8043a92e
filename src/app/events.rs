//! Events API deliveries: the record of each incident channel, kept as events arrive.
//!
//! Verify the workspace, parse the event, and — for events in incident channels, and ✅ or ❌
//! on an alert's prompt — record the delivery by `event_id` and apply its effect to the
//! database in one transaction, whatever the event's kind (a snooze and a declaration
//! included), so a repeated or concurrent copy of a delivery has its effect once, and an effect
//! that fails leaves the delivery unrecorded for Slack's retry. Slack calls the effect needs
//! (fetching a message to highlight, answering a mention, a newcomer's catch-up) become outbox
//! jobs in that same transaction. Events elsewhere leave no trace.

use sqlx::AnyConnection;

use super::App;
use super::declare;
use super::jobs::{self, Step};
use crate::domain::incident::Incident;
use crate::slack::events::{MessageEvent, SlackEvent};
use crate::slack::inbound::{EventCallback, EventEnvelope};
use crate::store::deliveries::{self, NewDelivery};
use crate::store::messages::{self, NewMessage};

/// The reaction that adds a message to the timeline.
const HIGHLIGHT_REACTION: &str = "pushpin";
/// Reactions on an alert's prompt: declare it, or dismiss it.
const DECLARE_REACTION: &str = "white_check_mark";
const DISMISS_REACTION: &str = "x";
/// The reaction that snoozes a reminder once ("I'm on it").
const SNOOZE_REACTION: &str = "eyes";

/// What became of an Events API delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventOutcome {
    /// `url_verification`: answer with this challenge.
    Challenge(String),
    /// A new event, recorded and applied.
    Recorded,
    /// An `event_id` seen before: acknowledged, nothing done.
    Duplicate,
    /// Nothing for firebell (another envelope or event type, a channel that is not an
    /// incident's, the bot's own message): acknowledged, nothing stored.
    Ignored,
    /// From another workspace: refused.
    WrongWorkspace,
}

fn as_new(message: &MessageEvent) -> NewMessage<'_> {
    NewMessage {
        channel: &message.channel,
        ts: &message.ts,
        thread_ts: message.thread_ts.as_deref(),
        user: message.user.as_ref().map(|u| u.as_str()),
        text: &message.text,
        file_count: message.file_count,
        subtype: message.subtype.as_deref(),
    }
}

impl App {
    /// Records and applies an Events API delivery (de-duplicated by `event_id`).
    #[tracing::instrument(skip_all)]
    pub async fn receive_event(&self, envelope: EventEnvelope, retry_num: i64) -> anyhow::Result<EventOutcome> {
        let callback = match envelope {
            EventEnvelope::UrlVerification { challenge } => return Ok(EventOutcome::Challenge(challenge)),
            EventEnvelope::Other { kind } => {
                tracing::debug!(slack.envelope = kind, "ignored an Events API envelope");
                self.count_event("other", "ignored");
                return Ok(EventOutcome::Ignored);
            }
            EventEnvelope::Callback(callback) => callback,
        };
        if callback.team_id != self.team_id {
            tracing::warn!(slack.team = %callback.team_id, "refused an event from another workspace");
            return Ok(EventOutcome::WrongWorkspace);
        }
        let event = SlackEvent::parse(&callback.raw["event"]);
        let kind = known_event_type(&callback.event_type);
        if let Some(outcome) = self.alert_reaction(&event, &callback, retry_num).await? {
            self.count_event(kind, if outcome == EventOutcome::Duplicate { "duplicate" } else { "recorded" });
            return Ok(outcome);
        }
        let incident = match event.channel() {
            Some(channel) => self.store.incident_by_channel(channel).await?,
            None => None,
        };
        if !self.concerns_us(&event, &callback, incident.as_ref()) {
            tracing::debug!(slack.event_type = callback.event_type, "ignored an event");
            self.count_event(kind, "ignored");
            return Ok(EventOutcome::Ignored);
        }
        // Recorded and applied in a transaction shared with the deliveries arriving at the
        // same moment (group commit): one durable commit for many events under load.
        let (app, applied, recorded) = (self.clone(), event.clone(), incident.clone());
        let (event_id, event_type, team_id) =
            (callback.event_id.clone(), callback.event_type.clone(), callback.team_id.to_string());
        let committing = std::time::Instant::now();
        let woke = self
            .store
            .write_grouped(move |conn| {
                Box::pin(async move {
                    // Only the event's id and type are kept: message text lives in the channel
                    // record, where a deletion can drop it.
                    let delivery = NewDelivery {
                        event_id: &event_id,
                        event_type: &event_type,
                        team_id: &team_id,
                        payload: "{}",
                        retry_num,
                    };
                    if !deliveries::record(conn, &delivery, app.clock.now()).await? {
                        return Ok(None);
                    }
                    app.apply(conn, &applied, recorded.as_ref(), &event_id).await.map(Some)
                })
            })
            .await?;
        self.metrics.stage(crate::metrics::Stage::Commit, committing.elapsed());
        let Some(woke) = woke else {
            self.count_event(kind, "duplicate");
            return Ok(EventOutcome::Duplicate);
        };
        if woke {
            self.wake_outbox();
        }
        self.count_event(kind, "recorded");
        Ok(EventOutcome::Recorded)
    }

    /// ✅ on an alert's prompt declares it; ❌ dismisses it. `None` for any other event.
    async fn alert_reaction(
        &self,
        event: &SlackEvent,
        callback: &EventCallback,
        retry_num: i64,
    ) -> anyhow::Result<Option<EventOutcome>> {
        let SlackEvent::Reaction { added: true, reaction, user, channel, ts } = event else { return Ok(None) };
        if reaction != DECLARE_REACTION && reaction != DISMISS_REACTION {
            return Ok(None);
        }
        let Some(group) = self.store.alert_group_by_prompt(channel.as_str(), ts).await? else { return Ok(None) };
        let delivery = NewDelivery {
            event_id: &callback.event_id,
            event_type: &callback.event_type,
            team_id: callback.team_id.as_str(),
            payload: "{}",
            retry_num,
        };
        // The delivery and its effect in one transaction: a repeat finds the delivery and does
        // nothing; a failure leaves neither, for Slack's retry to apply.
        let recorded = declare::retrying_races(|| async {
            let mut tx = self.store.begin().await?;
            if !deliveries::record(&mut tx, &delivery, self.clock.now()).await? {
                tx.rollback().await?;
                return Ok(None);
            }
            let declared = if reaction == DECLARE_REACTION {
                self.declare_group_in(&mut tx, &group, user, None).await?
            } else {
                self.dismiss_group_in(&mut tx, &group, user).await?;
                None
            };
            tx.commit().await?;
            Ok(Some(declared))
        })
        .await?;
        let Some(declared) = recorded else { return Ok(Some(EventOutcome::Duplicate)) };
        match declared {
            Some(incident) => self.declared(&incident),
            None => self.wake_outbox(),
        }
        Ok(Some(EventOutcome::Recorded))
    }

    fn count_event(&self, kind: &str, outcome: &str) {
        self.metrics.count("firebell_slack_events_total", &[("type", kind), ("outcome", outcome)]);
    }

    /// Whether an event has any effect for firebell.
    fn concerns_us(&self, event: &SlackEvent, callback: &EventCallback, incident: Option<&Incident>) -> bool {
        let ours = |message: &MessageEvent| {
            let own_app = message.app_id.is_some() && message.app_id.as_deref() == callback.raw["api_app_id"].as_str();
            let own_user = self.slack.cached_bot().is_some_and(|bot| message.user.as_ref() == Some(&bot.user_id));
            own_app || own_user
        };
        match event {
            SlackEvent::Other(_) => false,
            // Mentions are answered anywhere; everything else only in incident channels.
            SlackEvent::AppMention { .. } => true,
            _ if incident.is_none() => false,
            SlackEvent::Message(message) | SlackEvent::MessageChanged(message) => !ours(message),
            SlackEvent::Reaction { reaction, ts, added, .. } => {
                reaction == HIGHLIGHT_REACTION
                    || (*added
                        && reaction == SNOOZE_REACTION
                        && incident.is_some_and(|i| i.last_reminder_ts.as_deref() == Some(ts.as_str())))
            }
            // The bot pins the summary itself; that is not a highlight.
            SlackEvent::Pin { ts, .. } => incident.is_some_and(|i| i.summary_ts.as_deref() != Some(ts.as_str())),
            SlackEvent::MemberJoined { user, .. } => self.slack.cached_bot().is_none_or(|bot| bot.user_id != *user),
            SlackEvent::MessageDeleted { .. } => true,
        }
    }

    /// Applies an event inside the delivery's transaction; `true` when a job was enqueued.
    async fn apply(
        &self,
        tx: &mut AnyConnection,
        event: &SlackEvent,
        incident: Option<&Incident>,
        event_id: &str,
    ) -> anyhow::Result<bool> {
        let now = self.clock.now();
        if let SlackEvent::AppMention { channel, ts, thread_ts } = event {
            // Answered anywhere, incident channel or not.
            let step = Step::AnswerMention {
                channel: channel.to_string(),
                thread_ts: thread_ts.clone().unwrap_or_else(|| ts.clone()),
            };
            jobs::enqueue(tx, &step, event_id, now).await?;
            return Ok(true);
        }
        // Everything else is about an incident's channel; elsewhere it leaves no trace.
        let Some(incident) = incident else { return Ok(false) };
        let incident_id = incident.id;
        match event {
            SlackEvent::Message(message) => messages::insert(tx, incident_id, &as_new(message)).await?,
            SlackEvent::MessageChanged(message) => {
                messages::edit(tx, incident_id, &as_new(message), message.edited_ts.as_deref()).await?
            }
            SlackEvent::MessageDeleted { channel, ts } => messages::delete(tx, incident_id, channel, ts).await?,
            // 👀 on the latest reminder snoozes it, once (`concerns_us` let no other 👀 in).
            SlackEvent::Reaction { added: true, reaction, user, ts, .. } if reaction == SNOOZE_REACTION => {
                let every = crate::domain::reminders::update_every(&self.policy, &incident.severity);
                self.snooze_in(tx, incident_id, every, user, Some(ts)).await?;
            }
            // Taking the 👀 back does not un-snooze.
            SlackEvent::Reaction { reaction, .. } if reaction == SNOOZE_REACTION => {}
            SlackEvent::Reaction { added: true, user, channel, ts, .. }
            | SlackEvent::Pin { added: true, user, channel, ts } => {
                // Read inside the transaction: the message may be in this same batch.
                match messages::find(tx, channel, ts).await? {
                    Some(stored) => messages::highlight(tx, &stored, user.as_str()).await?,
                    None => {
                        // Older than firebell's record: fetch it from Slack, then highlight it.
                        let step = Step::FetchHighlight {
                            incident_id,
                            channel: channel.to_string(),
                            ts: ts.clone(),
                            by: user.to_string(),
                        };
                        jobs::enqueue(tx, &step, event_id, now).await?;
                        return Ok(true);
                    }
                }
            }
            SlackEvent::Reaction { added: false, ts, .. } | SlackEvent::Pin { added: false, ts, .. } => {
                messages::unhighlight(tx, incident_id, ts).await?;
            }
            SlackEvent::MemberJoined { user, .. } => {
                crate::store::members::joined(tx, incident_id, user, now).await?;
                jobs::enqueue(tx, &Step::CatchUp { incident_id, user: user.to_string() }, event_id, now).await?;
                return Ok(true);
            }
            SlackEvent::AppMention { .. } | SlackEvent::Other(_) => {}
        }
        Ok(false)
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
