//! The outbox's steps: every Slack side effect, as an idempotent step that reads the current
//! state first ("open the channel of incident 42" checks whether 42 has one).
//!
//! A step that makes the next ones possible enqueues them in the same transaction as the
//! state it recorded; dedupe keys make a step that runs twice (after a crash) harmless.

mod alert;
mod announce;
mod channel;
mod listen;
mod remind;
mod reporter;
mod setup;
mod share;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use super::App;
use crate::domain::ids::UserId;
use crate::slack::client::SlackCallError;
use crate::store::outbox::{self, Job, NewJob};

/// One step of work for the outbox worker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// Create (or adopt) the incident's dedicated channel, then enqueue what follows.
    OpenChannel { incident_id: i64, response_url: Option<String> },
    /// Post the first notice in every audience channel that has not seen it, in order.
    ShareNotices { incident_id: i64, response_url: Option<String> },
    /// Invite the reporter, the lead and the affected services' responders.
    InviteResponders { incident_id: i64 },
    /// Set the channel topic to severity, status and lead.
    SetTopic { incident_id: i64 },
    /// Post the incident summary in its channel.
    PostSummary { incident_id: i64 },
    /// Pin the posted summary.
    PinSummary { incident_id: i64 },
    /// Tell the reporter something: by `response_url` when there is one, else by DM.
    TellReporter { user: String, response_url: Option<String>, text: String, key: String },
    /// Post a message in the incident channel.
    PostInChannel { incident_id: i64, text: String },
    /// Edit every notice and the pinned summary in place, and set the topic, from the
    /// current state.
    RefreshNotices { incident_id: i64 },
    /// Reply in one notice's thread (`broadcast` also shows it in the channel).
    ReplyInThread { incident_id: i64, channel: String, thread_ts: String, text: String, broadcast: bool },
    /// Archive the incident channel (on close, when the policy says so).
    ArchiveChannel { incident_id: i64 },
    /// Fetch a message firebell did not see and highlight it with its own time.
    FetchHighlight { incident_id: i64, channel: String, ts: String, by: String },
    /// Answer an `@firebell` mention in its thread with short help.
    AnswerMention { channel: String, thread_ts: String },
    /// Send a newcomer to an incident channel an ephemeral catch-up.
    CatchUp { incident_id: i64, user: String },
    /// Post the update reminder in the incident channel.
    PostReminder { incident_id: i64, number: u32 },
    /// Tell one channel of the widest audience that the incident is missing updates.
    Escalate { incident_id: i64, channel: String },
    /// Nudge the channel once when nobody leads.
    LeadNudge { incident_id: i64 },
    /// Nudge a resolved incident's channel for its retrospective.
    RetroNudge { incident_id: i64 },
    /// Post the digest of open incidents scheduled at `at` (milliseconds).
    Digest { at: i64 },
    /// Build and publish (or update) the retrospective.
    PublishRetro { incident_id: i64 },
    /// Reply in the thread of the message an incident was reported from, once its channel exists.
    ReplyToSource { incident_id: i64, channel: String, ts: String },
    /// Post a message (a pre-shared change) in one channel.
    Announce { channel: String, text: String },
    /// Post an alert's prompt in the triage channel.
    PostAlertPrompt { alert_id: i64 },
    /// Edit an alert's prompt to show its count or what became of it.
    UpdateAlertPrompt { alert_id: i64, dismissed_by: Option<String> },
}

impl Step {
    /// The job kind stored and used as a metrics label.
    pub fn kind(&self) -> &'static str {
        match self {
            Step::OpenChannel { .. } => "open_channel",
            Step::ShareNotices { .. } => "share_notices",
            Step::InviteResponders { .. } => "invite_responders",
            Step::SetTopic { .. } => "set_topic",
            Step::PostSummary { .. } => "post_summary",
            Step::PinSummary { .. } => "pin_summary",
            Step::TellReporter { .. } => "tell_reporter",
            Step::PostInChannel { .. } => "post_in_channel",
            Step::RefreshNotices { .. } => "refresh_notices",
            Step::ReplyInThread { .. } => "reply_in_thread",
            Step::ArchiveChannel { .. } => "archive_channel",
            Step::FetchHighlight { .. } => "fetch_highlight",
            Step::AnswerMention { .. } => "answer_mention",
            Step::CatchUp { .. } => "catch_up",
            Step::PostReminder { .. } => "post_reminder",
            Step::Escalate { .. } => "escalate",
            Step::LeadNudge { .. } => "lead_nudge",
            Step::RetroNudge { .. } => "retro_nudge",
            Step::Digest { .. } => "digest",
            Step::PublishRetro { .. } => "publish_retro",
            Step::ReplyToSource { .. } => "reply_to_source",
            Step::Announce { .. } => "announce",
            Step::PostAlertPrompt { .. } => "post_alert_prompt",
            Step::UpdateAlertPrompt { .. } => "update_alert_prompt",
        }
    }

    fn incident_id(&self) -> Option<i64> {
        match self {
            Step::OpenChannel { incident_id, .. }
            | Step::ShareNotices { incident_id, .. }
            | Step::InviteResponders { incident_id }
            | Step::SetTopic { incident_id }
            | Step::PostSummary { incident_id }
            | Step::PinSummary { incident_id }
            | Step::PostInChannel { incident_id, .. }
            | Step::RefreshNotices { incident_id }
            | Step::ReplyInThread { incident_id, .. }
            | Step::ArchiveChannel { incident_id }
            | Step::FetchHighlight { incident_id, .. }
            | Step::CatchUp { incident_id, .. }
            | Step::PostReminder { incident_id, .. }
            | Step::Escalate { incident_id, .. }
            | Step::LeadNudge { incident_id }
            | Step::RetroNudge { incident_id }
            | Step::PublishRetro { incident_id }
            | Step::ReplyToSource { incident_id, .. } => Some(*incident_id),
            Step::TellReporter { .. }
            | Step::AnswerMention { .. }
            | Step::Digest { .. }
            | Step::Announce { .. }
            | Step::PostAlertPrompt { .. }
            | Step::UpdateAlertPrompt { .. } => None,
        }
    }

    /// Enqueueing the same step for the same incident in the same `scope` (the declaration,
    /// or the timeline event that caused it) twice does nothing.
    fn dedupe_key(&self, scope: &str) -> String {
        match self {
            Step::TellReporter { key, .. } => format!("tell_reporter:{key}"),
            Step::PostAlertPrompt { alert_id } | Step::UpdateAlertPrompt { alert_id, .. } => {
                format!("{}:alert{alert_id}:{scope}", self.kind())
            }
            other => format!("{}:{}:{scope}", other.kind(), other.incident_id().unwrap_or_default()),
        }
    }
}

/// The scope of the steps a declaration causes.
pub const DECLARED: &str = "declared";

/// Enqueues `step` inside the caller's transaction (a duplicate in the same scope is dropped).
pub async fn enqueue(conn: &mut AnyConnection, step: &Step, scope: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
    let job = NewJob {
        kind: step.kind().to_owned(),
        payload: serde_json::to_value(step)?,
        incident_id: step.incident_id(),
        dedupe_key: Some(step.dedupe_key(scope)),
        run_at: now,
    };
    outbox::enqueue(conn, &job, now).await?;
    Ok(())
}

/// Why a step did not finish.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error(transparent)]
    Slack(#[from] SlackCallError),
    /// A database or bookkeeping failure: retried like a transient Slack failure.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
    /// The job cannot be run at all (unreadable payload, incident gone): failed for good.
    #[error("{0}")]
    Invalid(String),
    /// Something the step needs is still on its way (the incident channel, a notice to reply
    /// under): retried with the usual backoff, without the alarm of a failure.
    #[error("{0}")]
    Waiting(String),
}

impl App {
    /// Runs one claimed job.
    #[tracing::instrument(skip_all, fields(job.id = job.id, job.kind = job.kind, incident.id = job.incident_id))]
    pub async fn run_job(&self, job: &Job) -> Result<(), StepError> {
        let step: Step = serde_json::from_value(job.payload.clone())
            .map_err(|e| StepError::Invalid(format!("unreadable job payload: {e}")))?;
        match step {
            Step::OpenChannel { incident_id, response_url } => self.open_channel(incident_id, response_url).await,
            Step::ShareNotices { incident_id, response_url } => self.share_notices(incident_id, response_url).await,
            Step::InviteResponders { incident_id } => self.invite_responders(incident_id).await,
            Step::SetTopic { incident_id } => self.set_topic(incident_id).await,
            Step::PostSummary { incident_id } => self.post_summary(incident_id).await,
            Step::PinSummary { incident_id } => self.pin_summary(incident_id).await,
            Step::PostInChannel { incident_id, text } => self.post_in_channel(incident_id, &text).await,
            Step::RefreshNotices { incident_id } => self.refresh_notices(incident_id).await,
            Step::ReplyInThread { incident_id, channel, thread_ts, text, broadcast } => {
                let Some(thread_ts) = self.notice_thread(incident_id, &channel, &thread_ts).await? else {
                    return Ok(());
                };
                self.reply_in_thread(&channel, &thread_ts, &text, broadcast).await
            }
            Step::ArchiveChannel { incident_id } => self.archive_channel(incident_id).await,
            Step::FetchHighlight { incident_id, channel, ts, by } => {
                self.fetch_highlight(incident_id, &channel, &ts, &by).await
            }
            Step::AnswerMention { channel, thread_ts } => self.answer_mention(&channel, &thread_ts).await,
            Step::CatchUp { incident_id, user } => self.catch_up(incident_id, &user).await,
            Step::PostReminder { incident_id, .. } => self.post_reminder(incident_id).await,
            Step::Escalate { incident_id, channel } => self.escalate(incident_id, &channel).await,
            Step::LeadNudge { incident_id } => self.lead_nudge(incident_id).await,
            Step::RetroNudge { incident_id } => self.retro_nudge(incident_id).await,
            Step::Digest { .. } => self.digest().await,
            Step::PublishRetro { incident_id } => self.publish_retro(incident_id).await,
            Step::Announce { channel, text } => self.announce(&channel, &text).await,
            Step::ReplyToSource { incident_id, channel, ts } => self.reply_to_source(incident_id, &channel, &ts).await,
            Step::PostAlertPrompt { alert_id } => self.post_alert_prompt(alert_id).await,
            Step::UpdateAlertPrompt { alert_id, dismissed_by } => {
                self.update_alert_prompt(alert_id, dismissed_by.as_deref()).await
            }
            Step::TellReporter { user, response_url, text, .. } => {
                self.tell_reporter(&user, response_url.as_deref(), &text).await
            }
        }
    }

    /// The thread to reply in: the one given, or — for a notice still on its way when the
    /// change was made — the notice's once it is posted (waited for while the incident's
    /// channel or notices are still to be made, however long Slack takes). `None` when that
    /// notice failed for good: there is no thread to reply in.
    async fn notice_thread(
        &self,
        incident_id: i64,
        channel: &str,
        thread_ts: &str,
    ) -> Result<Option<String>, StepError> {
        if !thread_ts.is_empty() {
            return Ok(Some(thread_ts.to_owned()));
        }
        let notice_in =
            |notices: Vec<crate::store::notices::Notice>| notices.into_iter().find(|n| n.channel.as_str() == channel);
        if let Some(notice) = notice_in(self.store.notices(incident_id).await?) {
            return Ok(notice.ts);
        }
        if self.store.incident_jobs_in_flight(incident_id, &["open_channel", "share_notices"]).await? {
            return Err(StepError::Waiting(format!("waiting for the notice in {channel}")));
        }
        // The notices may have been shared since the first read: look once more.
        match notice_in(self.store.notices(incident_id).await?) {
            Some(notice) => Ok(notice.ts),
            None => Err(StepError::Invalid(format!("the notice in {channel} was never posted"))),
        }
    }

    /// After a step failed for good: tell the reporter what failed and what to fix.
    pub async fn report_failed_job(&self, job: &Job, code: &str) {
        if let Err(error) = self.report_failure(job, code).await {
            tracing::error!(error = format!("{error:#}"), "could not tell the reporter about a failed step");
        }
    }

    pub(crate) async fn incident_or_invalid(
        &self,
        incident_id: i64,
    ) -> Result<crate::domain::incident::Incident, StepError> {
        self.store
            .incident(incident_id)
            .await?
            .ok_or_else(|| StepError::Invalid(format!("incident {incident_id} does not exist")))
    }

    fn reporter_of(&self, user: &str) -> Result<UserId, StepError> {
        UserId::parse(user).ok_or_else(|| StepError::Invalid(format!("{user:?} is not a user id")))
    }
}
