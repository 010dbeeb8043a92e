//! The outbox's steps: every Slack side effect, as an idempotent step that reads the current
//! state first ("open the channel of incident 42" checks whether 42 has one).
//!
//! [`steps!`] below is the one table of job kinds: each row is a step's fields, its stored
//! kind and the function that runs it, so adding a step is one row plus its own file. A step
//! runs with a [`StepContext`] (store, Slack facade, policy, clock, metrics — nothing from the
//! request path) and the attempt's [`Delivery`], which it passes to every post that must
//! happen once. A step that makes the next ones possible enqueues them in the same
//! transaction as the state it recorded; dedupe keys make a step that runs twice (after a
//! crash) harmless. The worker (`workers::outbox`) maps each outcome to done, retry or fail.

mod alert;
mod announce;
mod channel;
mod context;
mod listen;
mod page;
mod pager;
mod remind;
mod report;
mod reporter;
mod retro;
mod setup;
mod share;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

pub use context::{StepContext, WAITING_FOR_CHANNEL};

use crate::domain::incident::IncidentId;
use crate::domain::paging::{ExternalAction, Pager};
use crate::pagers::PagerError;
use crate::slack::{Delivery, SlackCallError};
use crate::store::outbox::{self, Job, NewJob};

/// Declares [`Step`] (one variant per row, stored under its kind), [`JobKind`] (the kinds'
/// names, for the job table, metrics and queries) and the dispatch from a step to the
/// function that runs it. Every runner takes the context, the delivery and the row's fields.
macro_rules! steps {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident { $($field:ident: $ty:ty),* $(,)? } => $kind:literal, $run:path;
    )*) => {
        /// One step of work for the outbox worker.
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "step")]
        pub enum Step {
            $(
                $(#[doc = $doc])*
                #[serde(rename = $kind)]
                $variant { $($field: $ty),* },
            )*
        }

        /// What kind of step a job is: its name in the job table and in metrics.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum JobKind {
            $($variant,)*
        }

        impl JobKind {
            /// Every kind, in the table's order.
            pub const ALL: &[JobKind] = &[$(JobKind::$variant,)*];

            /// The stored name (`open_channel`…).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(JobKind::$variant => $kind,)*
                }
            }
        }

        impl Step {
            /// The job kind stored and used as a metrics label.
            pub fn kind(&self) -> JobKind {
                match self {
                    $(Step::$variant { .. } => JobKind::$variant,)*
                }
            }

            /// Runs the step: one attempt of its job.
            async fn run(self, cx: &StepContext, delivery: &Delivery) -> Result<(), StepError> {
                match self {
                    $(Step::$variant { $($field),* } => $run(cx, delivery, $($field),*).await,)*
                }
            }
        }
    };
}

steps! {
    /// Create (or adopt) the incident's dedicated channel, then enqueue what follows.
    OpenChannel { incident_id: IncidentId, response_url: Option<String> } => "open_channel", channel::open_channel;
    /// Queue the first notice for every audience channel that has not seen it (jobs queued
    /// by older versions, which shared every channel in one job).
    ShareNotices { incident_id: IncidentId, response_url: Option<String> } => "share_notices", share::share_notices;
    /// Post the first notice in one audience channel, once the incident channel exists: each
    /// channel its own job, so a channel that is slow or rate-limited delays only itself.
    PostNotice { incident_id: IncidentId, channel: String, response_url: Option<String> } => "post_notice", share::post_notice;
    /// Invite the reporter, the lead and the affected services' responders.
    InviteResponders { incident_id: IncidentId } => "invite_responders", setup::invite_responders;
    /// Set the channel topic to severity, status and lead.
    SetTopic { incident_id: IncidentId } => "set_topic", setup::set_topic;
    /// Post the incident summary in its channel.
    PostSummary { incident_id: IncidentId } => "post_summary", setup::post_summary;
    /// Pin the posted summary.
    PinSummary { incident_id: IncidentId } => "pin_summary", setup::pin_summary;
    /// Tell the reporter something: by `response_url` when there is one, else by DM. The
    /// incident it is about (absent in jobs queued by older versions) keeps it in order with
    /// that incident's other steps. `replace_reply` (absent in older jobs: no) makes the
    /// message replace the command's own reply ("Declaring incident #4…"), so that sending it
    /// again after a lost answer edits that reply again instead of adding a second message.
    TellReporter {
        user: String,
        response_url: Option<String>,
        text: String,
        key: String,
        incident_id: Option<IncidentId>,
        replace_reply: Option<bool>,
    } => "tell_reporter", reporter::tell_reporter;
    /// Post a message in the incident channel.
    PostInChannel { incident_id: IncidentId, text: String } => "post_in_channel", announce::post_in_channel;
    /// Edit the pinned summary in place and set the topic from the current state, and queue
    /// the edit of every notice.
    RefreshNotices { incident_id: IncidentId } => "refresh_notices", announce::refresh_notices;
    /// Edit one channel's notice in place from the current state.
    EditNotice { incident_id: IncidentId, channel: String } => "edit_notice", announce::edit_notice;
    /// Reply in one notice's thread (`broadcast` also shows it in the channel).
    ReplyInThread { incident_id: IncidentId, channel: String, thread_ts: String, text: String, broadcast: bool }
        => "reply_in_thread", announce::reply_in_thread;
    /// Archive the incident channel (on close, when the policy says so).
    ArchiveChannel { incident_id: IncidentId } => "archive_channel", announce::archive_channel;
    /// Fetch a message firebell did not see and highlight it with its own time.
    FetchHighlight { incident_id: IncidentId, channel: String, ts: String, by: String }
        => "fetch_highlight", listen::fetch_highlight;
    /// Answer an `@firebell` mention in its thread with short help.
    AnswerMention { channel: String, thread_ts: String } => "answer_mention", listen::answer_mention;
    /// Send a newcomer to an incident channel an ephemeral catch-up.
    CatchUp { incident_id: IncidentId, user: String } => "catch_up", listen::catch_up;
    /// Post the update reminder in the incident channel.
    PostReminder { incident_id: IncidentId, number: u32 } => "post_reminder", remind::post_reminder;
    /// Tell one channel of the widest audience that the incident is missing updates.
    Escalate { incident_id: IncidentId, channel: String } => "escalate", remind::escalate;
    /// Nudge the channel once when nobody leads.
    LeadNudge { incident_id: IncidentId } => "lead_nudge", remind::lead_nudge;
    /// Nudge a resolved incident's channel for its retrospective.
    RetroNudge { incident_id: IncidentId } => "retro_nudge", remind::retro_nudge;
    /// Post the digest of open incidents scheduled at `at` (milliseconds).
    Digest { at: i64 } => "digest", remind::digest;
    /// Build and publish (or update) the retrospective.
    PublishRetro { incident_id: IncidentId } => "publish_retro", retro::publish_retro;
    /// Render and publish (or update) an incident report, linked once in each notice's thread.
    PublishReport { incident_id: IncidentId, name: String, final_: bool } => "publish_report", report::publish_report;
    /// Nudge the incident channel once when a report is due and unpublished.
    ReportNudge { incident_id: IncidentId, name: String } => "report_nudge", report::report_nudge;
    /// Reply in the thread of the message an incident was reported from, once its channel exists.
    ReplyToSource { incident_id: IncidentId, channel: String, ts: String } => "reply_to_source", announce::reply_to_source;
    /// Post a message (a pre-shared change) in one channel.
    Announce { channel: String, text: String } => "announce", announce::announce;
    /// Post an alert group's prompt in the triage channel (`alert_id` is the group's id: a
    /// group made of an alert stored before groups kept the alert's id).
    PostAlertPrompt { alert_id: i64 } => "post_alert_prompt", alert::post_alert_prompt;
    /// Edit an alert group's prompt to show its alerts and counts, or what became of it.
    /// `revision`: the group's change this edit is for; an edit overtaken by a later change
    /// leaves it to that change's edit (a burst of notifications edits the prompt once).
    UpdateAlertPrompt { alert_id: i64, dismissed_by: Option<String>, revision: Option<i64> } => "update_alert_prompt", alert::update_alert_prompt;
    /// Post the alert storm prompt that lists the groups while the triage channel is flooded.
    PostStormPrompt { storm_id: i64 } => "post_storm_prompt", alert::post_storm_prompt;
    /// Edit the storm prompt to list the groups as they are now.
    UpdateStormPrompt { storm_id: i64, revision: i64 } => "update_storm_prompt", alert::update_storm_prompt;
    /// Send a page to its person by direct message, with its Acknowledge button.
    SendPage { incident_id: IncidentId, page_id: i64 } => "send_page", page::send_page;
    /// Edit a page's direct message into its current shape (acknowledged).
    EditPage { incident_id: IncidentId, page_id: i64 } => "edit_page", page::edit_page;
    /// Tell one external pager (PagerDuty, Opsgenie) to trigger, acknowledge or resolve the
    /// incident's alert.
    PagerEvent { incident_id: IncidentId, pager: Pager, action: ExternalAction } => "pager_event", pager::pager_event;
}

impl Step {
    fn incident_id(&self) -> Option<IncidentId> {
        match self {
            Step::OpenChannel { incident_id, .. }
            | Step::ShareNotices { incident_id, .. }
            | Step::PostNotice { incident_id, .. }
            | Step::EditNotice { incident_id, .. }
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
            | Step::PublishReport { incident_id, .. }
            | Step::ReportNudge { incident_id, .. }
            | Step::ReplyToSource { incident_id, .. }
            | Step::SendPage { incident_id, .. }
            | Step::EditPage { incident_id, .. }
            | Step::PagerEvent { incident_id, .. } => Some(*incident_id),
            Step::TellReporter { incident_id, .. } => *incident_id,
            Step::AnswerMention { .. }
            | Step::Digest { .. }
            | Step::Announce { .. }
            | Step::PostAlertPrompt { .. }
            | Step::UpdateAlertPrompt { .. }
            | Step::PostStormPrompt { .. }
            | Step::UpdateStormPrompt { .. } => None,
        }
    }

    /// The lane that keeps this step in order with the others that post to the same place.
    /// Each incident has one lane for its channel (posts, the summary and its edits, the
    /// topic, the archiving) and one per notice channel (the notice, its edits, its thread's
    /// replies, escalations there), so a retry (a 429 on one post) holds back only the later
    /// jobs of its own place, and each place sees the changes in the order they were made.
    /// Jobs of different lanes run side by side; a job without a lane runs one at a time
    /// with the incident's other jobs without a lane.
    fn lane(&self) -> Option<String> {
        match self {
            Step::PostInChannel { incident_id, .. }
            | Step::RefreshNotices { incident_id }
            | Step::ArchiveChannel { incident_id }
            | Step::SetTopic { incident_id }
            | Step::PostSummary { incident_id }
            | Step::PinSummary { incident_id }
            | Step::PostReminder { incident_id, .. }
            | Step::LeadNudge { incident_id }
            | Step::RetroNudge { incident_id }
            | Step::ReportNudge { incident_id, .. } => Some(channel_lane(*incident_id)),
            Step::PostNotice { incident_id, channel, .. }
            | Step::EditNotice { incident_id, channel }
            | Step::ReplyInThread { incident_id, channel, .. }
            | Step::Escalate { incident_id, channel } => Some(notice_lane(*incident_id, channel)),
            // An alert's prompt, then its edits, in the order they were made: a count or a
            // "declared" must not be overwritten by an older edit running beside it.
            Step::PostAlertPrompt { alert_id } | Step::UpdateAlertPrompt { alert_id, .. } => {
                Some(format!("alert{alert_id}:prompt"))
            }
            Step::PostStormPrompt { storm_id } | Step::UpdateStormPrompt { storm_id, .. } => {
                Some(format!("storm{storm_id}:prompt"))
            }
            // A page waits for nothing else of its incident (not even the channel): it is the
            // most urgent message of all. Its edit comes after it.
            Step::SendPage { incident_id, page_id } | Step::EditPage { incident_id, page_id } => {
                Some(format!("incident{incident_id}:page:{page_id}"))
            }
            // Trigger, then acknowledge, then resolve: never a resolve overtaken by its trigger.
            Step::PagerEvent { incident_id, pager, .. } => {
                Some(format!("incident{incident_id}:pager:{}", pager.as_str()))
            }
            _ => None,
        }
    }

    /// Enqueueing the same step for the same incident in the same `scope` (the declaration,
    /// or the timeline event that caused it) twice does nothing.
    fn dedupe_key(&self, scope: &str) -> String {
        let kind = self.kind().as_str();
        match self {
            Step::TellReporter { key, .. } => format!("{kind}:{key}"),
            // One first notice per channel per incident, whatever caused it (the declaration,
            // a raise that widened the audience, a job of an older version).
            Step::PostNotice { incident_id, channel, .. } => format!("{kind}:{incident_id}:{channel}"),
            Step::EditNotice { incident_id, channel } => format!("{kind}:{incident_id}:{channel}:{scope}"),
            // One send per page, whatever caused it.
            Step::SendPage { incident_id, page_id } => format!("{kind}:{incident_id}:{page_id}"),
            Step::EditPage { incident_id, page_id } => format!("{kind}:{incident_id}:{page_id}:{scope}"),
            // One event of each action per pager per incident.
            Step::PagerEvent { incident_id, pager, action } => {
                format!("{kind}:{incident_id}:{}:{}", pager.as_str(), action.as_str())
            }
            Step::PostAlertPrompt { alert_id } | Step::UpdateAlertPrompt { alert_id, .. } => {
                format!("{kind}:alert{alert_id}:{scope}")
            }
            Step::PostStormPrompt { storm_id } | Step::UpdateStormPrompt { storm_id, .. } => {
                format!("{kind}:storm{storm_id}:{scope}")
            }
            other => format!("{kind}:{}:{scope}", other.incident_id().map_or(0, IncidentId::get)),
        }
    }
}

/// The lane of an incident channel's posts and edits.
fn channel_lane(incident_id: IncidentId) -> String {
    format!("incident{incident_id}:channel")
}

/// The lane of one notice channel's posts and edits for an incident.
fn notice_lane(incident_id: IncidentId, channel: &str) -> String {
    format!("incident{incident_id}:notice:{channel}")
}

/// The scope of the steps a declaration causes.
pub const DECLARED: &str = "declared";

/// Enqueues `step` inside the caller's transaction (a duplicate in the same scope is dropped).
pub async fn enqueue(conn: &mut AnyConnection, step: &Step, scope: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
    enqueue_at(conn, step, scope, now, now).await
}

/// Enqueues `step` to run at `run_at` (or when something makes it due earlier).
async fn enqueue_at(
    conn: &mut AnyConnection,
    step: &Step,
    scope: &str,
    now: DateTime<Utc>,
    run_at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let job = NewJob {
        kind: step.kind().as_str().to_owned(),
        payload: serde_json::to_value(step)?,
        incident_id: step.incident_id(),
        dedupe_key: Some(step.dedupe_key(scope)),
        run_at,
        lane: step.lane(),
    };
    outbox::enqueue(conn, &job, now).await?;
    Ok(())
}

/// How long a notice queued before its incident channel exists waits at most; the channel's
/// opening makes it due at once (this is only the look that a lost wake-up would need).
const NOTICE_WAITS_FOR_CHANNEL: std::time::Duration = std::time::Duration::from_secs(30);

/// Queues the first notice for every channel of the incident's audience that has none
/// queued or posted, inside the caller's transaction. Each waits in its own lane for the
/// incident channel: queued with the declaration (or the change that widened the audience),
/// they come before any later reply in their notice's thread.
pub async fn enqueue_notices(
    conn: &mut AnyConnection,
    policy: &crate::domain::policy::Policy,
    incident: &crate::domain::incident::Incident,
    response_url: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let run_at = if incident.channel.is_some() {
        now
    } else {
        now + chrono::Duration::from_std(NOTICE_WAITS_FOR_CHANNEL).unwrap_or_default()
    };
    for recipient in crate::domain::audience::audience_of(policy, incident) {
        let step = Step::PostNotice {
            incident_id: incident.id,
            channel: recipient.channel.to_string(),
            response_url: response_url.map(str::to_owned),
        };
        enqueue_at(conn, &step, "", now, run_at).await?;
    }
    Ok(())
}

/// Why a step did not finish.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error(transparent)]
    Slack(#[from] SlackCallError),
    /// An external pager's failure: retried like Slack's (a 429, a 5xx) or failed for good.
    #[error(transparent)]
    Pager(#[from] PagerError),
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

impl From<sqlx::Error> for StepError {
    fn from(error: sqlx::Error) -> StepError {
        StepError::Internal(error.into())
    }
}

impl StepContext {
    /// Runs one attempt of a claimed job.
    #[tracing::instrument(skip_all, fields(job.id = job.id, job.kind = job.kind, incident.id = job.incident_id.map(IncidentId::get)))]
    pub async fn run_job(&self, job: &Job, delivery: &Arc<Delivery>) -> Result<(), StepError> {
        let step: Step = serde_json::from_value(job.payload.clone())
            .map_err(|e| StepError::Invalid(format!("unreadable job payload: {e}")))?;
        // Every Slack call of the step goes through a facade bound to this attempt: once the
        // lease is lost to another worker, the next call is not made.
        let mut cx = self.bound_to(delivery);
        // A drill's steps post through a facade that marks everything DRILL: one place, so no
        // message about a drill can go out unmarked.
        if let Some(incident_id) = step.incident_id()
            && self.store.is_drill(incident_id).await?
        {
            cx.slack = cx.slack.marking_drill(crate::render::drill::DrillMark::new(self.policy.locale));
        }
        step.run(&cx, delivery).await
    }

    /// After a step failed for good: tell the reporter what failed and what to fix. When the
    /// incident channel could not be opened, the notices waiting for it go now, without it.
    pub async fn report_failed_job(&self, job: &Job, code: &str) {
        if let Err(error) = reporter::report_failure(self, job, code).await {
            tracing::error!(error = format!("{error:#}"), "could not tell the reporter about a failed step");
        }
        if job.kind == JobKind::OpenChannel.as_str()
            && let Some(incident_id) = job.incident_id
        {
            let released = match self.store.pool().acquire().await {
                Ok(mut conn) => {
                    outbox::make_due(&mut conn, incident_id, JobKind::PostNotice.as_str(), self.clock.now()).await
                }
                Err(error) => Err(error.into()),
            };
            match released {
                Ok(_) => self.wake_outbox(),
                // They go at their own time instead.
                Err(error) => tracing::warn!(error = format!("{error:#}"), "could not release the waiting notices"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_is_stored_under_its_kind_and_read_back_whole() {
        let step = Step::ReplyInThread {
            incident_id: IncidentId::from_stored(4),
            channel: "C1".into(),
            thread_ts: "1.2".into(),
            text: "update".into(),
            broadcast: true,
        };
        let payload = serde_json::to_value(&step).unwrap();
        assert_eq!(payload["step"], "reply_in_thread");
        assert_eq!(step.kind().as_str(), "reply_in_thread");
        assert_eq!(serde_json::from_value::<Step>(payload).unwrap(), step);
    }

    #[test]
    fn a_tell_reporter_job_queued_by_an_older_version_reads_without_its_incident() {
        let old =
            serde_json::json!({"step": "tell_reporter", "user": "U1", "response_url": null, "text": "hi", "key": "k"});
        let step: Step = serde_json::from_value(old).unwrap();
        assert_eq!(step.incident_id(), None);
    }

    #[test]
    fn every_kind_has_its_own_name() {
        let mut names: Vec<&str> = JobKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), JobKind::ALL.len());
    }

    #[test]
    fn dedupe_keys_name_the_kind_the_incident_and_the_scope() {
        assert_eq!(
            Step::SetTopic { incident_id: IncidentId::from_stored(9) }.dedupe_key(DECLARED),
            "set_topic:9:declared"
        );
        assert_eq!(Step::PostAlertPrompt { alert_id: 3 }.dedupe_key("fired"), "post_alert_prompt:alert3:fired");
        let tell = Step::TellReporter {
            user: "U1".into(),
            response_url: None,
            text: "hi".into(),
            key: "declared:9".into(),
            incident_id: None,
            replace_reply: None,
        };
        assert_eq!(tell.dedupe_key("ignored"), "tell_reporter:declared:9");
    }
}
