//! Telling the reporter: that the incident is declared, and what failed and how to fix it.

use super::context::user_in_payload;
use super::{Step, StepContext, StepError};
use crate::catalog::{Key, text};
use crate::domain::ids::ChannelId;
use crate::domain::incident::{Incident, IncidentId};
use crate::domain::text::escape_mrkdwn;
use crate::slack::{Delivery, Destination, Message, SlackCallError};
use crate::store::outbox::Job;

/// The reply once the channel exists: the number and a link to the channel.
pub(super) fn declared_text(cx: &StepContext, incident: &Incident, channel: &ChannelId) -> String {
    text(cx.policy.locale, Key::DeclareDeclared)
        .fill_trusted(&[("number", &incident.number.to_string()), ("channel", &format!("<#{channel}>"))])
}

/// What to do about a Slack error code, in the policy's language.
pub(super) fn hint(cx: &StepContext, code: &str) -> &'static str {
    let key = match code {
        "channel_not_found" => Key::HintChannelNotFound,
        "not_in_channel" => Key::HintNotInChannel,
        "missing_scope" => Key::HintMissingScope,
        "restricted_action" => Key::HintRestrictedAction,
        "is_archived" => Key::HintIsArchived,
        "name_taken" => Key::HintNameTaken,
        _ => Key::HintOther,
    };
    text(cx.policy.locale, key).as_str()
}

/// By `response_url` when there is one (ephemeral, like the command's reply); when it is
/// spent or absent, by direct message (posted once).
#[allow(clippy::too_many_arguments, reason = "the step's fields, one argument each as the steps! table passes them")]
pub(super) async fn tell_reporter(
    cx: &StepContext,
    delivery: &Delivery,
    user: String,
    response_url: Option<String>,
    message: String,
    _key: String,
    _incident_id: Option<IncidentId>,
    replace_reply: Option<bool>,
) -> Result<(), StepError> {
    let user = user_in_payload(&user)?;
    // An incident an alert rule declared has the bot as its reporter: nobody to tell (a DM
    // to itself is noise, and the triage channel already shows the prompt's outcome).
    let bot = cx.slack.cached_bot().map(|bot| bot.user_id);
    if bot.as_ref() == Some(&user) || user.as_str() == "USLACKBOT" {
        tracing::info!(slack.user = %user, "the reporter is the bot itself; nobody to tell");
        return Ok(());
    }
    let replace = replace_reply.unwrap_or(false);
    // Neither a reply by response_url nor a DM by user id can be looked up afterwards: one
    // that replaces the command's reply may be sent again (the same edit); any other is
    // recorded before it is sent and never sent twice.
    if !replace && !cx.begin_effect(delivery).await? {
        return Ok(());
    }
    if let Some(url) = response_url {
        match cx.slack.respond_ephemeral(&url, &message, replace).await {
            Ok(()) => return Ok(()),
            Err(SlackCallError::Refused(reason)) => {
                tracing::info!(%reason, "response_url refused; sending a direct message instead");
            }
            Err(other) if replace => return Err(other.into()),
            Err(other) => return Err(cx.effect_failed(delivery, other).await),
        }
        if replace && !cx.begin_effect(delivery).await? {
            return Ok(());
        }
    }
    match cx.slack.post_message(Destination::Person(&user), &Message::text(message), delivery).await {
        Ok(_) => Ok(()),
        Err(error) => Err(cx.effect_failed(delivery, error).await),
    }
}

/// Queues a message telling the reporter that a declaring step failed for good, and why.
pub(super) async fn report_failure(cx: &StepContext, job: &Job, code: &str) -> anyhow::Result<()> {
    let Ok(step) = serde_json::from_value::<Step>(job.payload.clone()) else {
        return Ok(());
    };
    let (response_url, what) = match &step {
        Step::OpenChannel { response_url, .. } => (response_url.clone(), Key::StepOpenChannel),
        Step::ShareNotices { response_url, .. } | Step::PostNotice { response_url, .. } => {
            (response_url.clone(), Key::StepNotice)
        }
        Step::InviteResponders { .. } => (None, Key::StepInvite),
        Step::SetTopic { .. } => (None, Key::StepTopic),
        Step::PostSummary { .. } | Step::PinSummary { .. } => (None, Key::StepSummary),
        // Telling the reporter failed: there is nobody left to tell. Failures while running
        // the incident are logged and counted; the people are in the channel already.
        Step::TellReporter { .. }
        | Step::PostInChannel { .. }
        | Step::RefreshNotices { .. }
        | Step::EditNotice { .. }
        | Step::ReplyInThread { .. }
        | Step::ArchiveChannel { .. }
        | Step::FetchHighlight { .. }
        | Step::AnswerMention { .. }
        | Step::CatchUp { .. }
        | Step::PostReminder { .. }
        | Step::Escalate { .. }
        | Step::LeadNudge { .. }
        | Step::RetroNudge { .. }
        | Step::Digest { .. }
        | Step::PublishRetro { .. }
        | Step::PublishReport { .. }
        | Step::ReportNudge { .. }
        | Step::Announce { .. }
        | Step::ReplyToSource { .. }
        | Step::PostAlertPrompt { .. }
        | Step::UpdateAlertPrompt { .. }
        | Step::PostStormPrompt { .. }
        | Step::UpdateStormPrompt { .. }
        | Step::EditPage { .. }
        | Step::PagerEvent { .. } => return Ok(()),
        // The incident's people hear that a page could not go out, so they page someone else.
        Step::SendPage { incident_id, page_id } => return page_failed(cx, *incident_id, *page_id, code).await,
    };
    let Some(incident) = (match job.incident_id {
        Some(id) => cx.store.incident(id).await?,
        None => None,
    }) else {
        return Ok(());
    };
    let locale = cx.policy.locale;
    let message = text(locale, Key::DeclareStepFailed).fill_trusted(&[
        ("number", &incident.number.to_string()),
        ("step", text(locale, what).as_str()),
        ("code", &escape_mrkdwn(code)),
        ("hint", hint(cx, code)),
    ]);
    let tell = Step::TellReporter {
        user: incident.reporter.to_string(),
        response_url,
        text: message,
        key: format!("failed:{}", job.id),
        incident_id: Some(incident.id),
        replace_reply: None,
    };
    cx.enqueue_alone(&tell, "").await.map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

/// Tells the incident channel that a page could not be sent, and why.
async fn page_failed(cx: &StepContext, incident_id: IncidentId, page_id: i64, code: &str) -> anyhow::Result<()> {
    let Some(page) = cx.store.page(page_id).await? else { return Ok(()) };
    let message = text(cx.policy.locale, Key::PagingFailed).fill_trusted(&[
        ("user", &format!("<@{}>", page.user)),
        ("code", &escape_mrkdwn(code)),
        ("hint", hint(cx, code)),
    ]);
    let post = Step::PostInChannel { incident_id, text: message };
    cx.enqueue_alone(&post, &format!("page_failed:{page_id}")).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}
