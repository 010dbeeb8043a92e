//! Publishing the retrospective: copy in what the channel holds that firebell did not see
//! (`retro/backfill.rs`, which resumes where a rate limit stopped it), build the document,
//! and publish it — a canvas in the incident channel, or a Markdown file where canvases are
//! unavailable — then say so in the channel.

mod backfill;

use std::collections::HashMap;

use super::{Step, StepContext, StepError};
use crate::app::retro::build;
use crate::catalog::{Key, text};
use crate::domain::ids::{ChannelId, UserId};
use crate::domain::incident::IncidentId;
use crate::render;
use crate::slack::{Delivery, SlackCallError};
use crate::store::retrospectives::{Published, pending_file_fact};

/// Canvas errors that mean "canvases are not available here": fall back to a file. Not
/// `channel_canvas_already_exists`, which means the canvas is there (ours, from an attempt
/// whose answer was lost): that one is adopted, never doubled with a file.
pub(super) fn canvases_unavailable(code: &str) -> bool {
    code != CANVAS_EXISTS
        && (code.contains("not_allowed")
            || code.contains("free_team")
            || code.contains("tier")
            || code.contains("disabled")
            || code == "missing_scope"
            || code == "unknown_method")
}

/// `conversations.canvases.create`'s answer when the channel has its canvas already.
const CANVAS_EXISTS: &str = "channel_canvas_already_exists";

/// The publishing step: backfill, build, publish (canvas or file), record, announce.
pub(super) async fn publish_retro(cx: &StepContext, _: &Delivery, incident_id: IncidentId) -> Result<(), StepError> {
    let incident = cx.incident(incident_id).await?;
    let channel = cx.channel_of(&incident).await?;
    backfill::backfill(cx, incident_id, &channel).await?;
    let blameless = cx.policy.retro.blameless;
    let names = if blameless { HashMap::new() } else { names(cx, incident_id).await? };
    let bot = cx.slack.bot().await?;
    cx.store.set_workspace_fact("url", &bot.url).await?;
    let retro = build(&cx.store, &cx.policy, &incident, blameless, &names).await.map_err(StepError::Internal)?;
    let markdown = render::retro::markdown(&retro, &cx.policy);
    let title = text(cx.policy.locale, Key::RetroDocumentTitle).fill(&[("number", &incident.number.to_string())]);
    let previous = cx.store.retrospective(incident_id).await?.unwrap_or_default();
    let published = match publish_canvas(cx, &channel, &title, &markdown, &previous).await {
        Ok(published) => published,
        Err(StepError::Slack(SlackCallError::Refused(code))) if canvases_unavailable(&code) => {
            tracing::info!(slack.error = code, "canvases unavailable; uploading the retrospective as a file");
            let filename = format!("incident-{}-retrospective.md", incident.number);
            let pending = pending_file_fact(incident_id);
            publish_file(cx, &channel, &filename, &title, &markdown, &pending).await?
        }
        Err(other) => return Err(other),
    };
    cx.store.record_retrospective(incident_id, &published, &markdown, cx.clock.now()).await?;
    // Recorded: the next publication is a new file, not this one found again.
    cx.store.forget_workspace_fact(&pending_file_fact(incident_id)).await?;
    let number = incident.number.to_string();
    let events = retro.timeline.len().to_string();
    let followups = retro.followups.iter().map(|(_, f)| f.len()).sum::<usize>().to_string();
    let questions = retro.questions.len().to_string();
    let mut args =
        vec![("number", number.as_str()), ("events", &events), ("followups", &followups), ("questions", &questions)];
    let summary = match &published.link {
        Some(link) => {
            args.push(("link", link));
            text(cx.policy.locale, Key::RetroPublished).fill(&args)
        }
        None => text(cx.policy.locale, Key::RetroPublishedNolink).fill(&args),
    };
    let versions = previous.versions + 1;
    cx.enqueue_alone(&Step::PostInChannel { incident_id, text: summary }, &format!("retro:{versions}")).await
}

/// Display names for a named (not blameless) document, from `users.info`, cached per build.
pub(super) async fn names(cx: &StepContext, incident_id: IncidentId) -> Result<HashMap<UserId, String>, StepError> {
    let mut names = HashMap::new();
    let mut people: Vec<UserId> = cx.store.messages(incident_id).await?.into_iter().filter_map(|m| m.user).collect();
    people.extend(
        cx.store.timeline(incident_id).await?.into_iter().filter_map(|e| e.author.as_deref().and_then(UserId::parse)),
    );
    for person in people {
        if names.contains_key(&person) {
            continue;
        }
        let name = match cx.slack.display_name(&person).await {
            Ok(name) => name.unwrap_or_else(|| person.to_string()),
            Err(SlackCallError::Refused(_)) => person.to_string(),
            Err(other) => return Err(other.into()),
        };
        names.insert(person, name);
    }
    Ok(names)
}

async fn publish_canvas(
    cx: &StepContext,
    channel: &ChannelId,
    title: &str,
    markdown: &str,
    previous: &Published,
) -> Result<Published, StepError> {
    let canvas_id = match &previous.canvas_id {
        // Running it again updates the same document.
        Some(canvas_id) => {
            cx.slack.replace_canvas(canvas_id, markdown).await?;
            canvas_id.clone()
        }
        None => match cx.slack.create_channel_canvas(channel, title, markdown).await {
            Ok(canvas_id) => canvas_id,
            // An earlier attempt made it and its answer was lost: that canvas is the document.
            Err(SlackCallError::Refused(code)) if code == CANVAS_EXISTS => {
                let Some(canvas_id) = cx.slack.channel_canvas(channel).await? else {
                    return Err(SlackCallError::Refused(code).into());
                };
                tracing::info!(canvas.id = canvas_id, "adopted the channel canvas an earlier attempt created");
                cx.slack.replace_canvas(&canvas_id, markdown).await?;
                canvas_id
            }
            Err(other) => return Err(other.into()),
        },
    };
    let link = canvas_link(cx, &canvas_id).await?;
    Ok(Published { canvas_id: Some(canvas_id), file_id: None, link: Some(link), versions: previous.versions })
}

/// Uploads `markdown` as a file shared in `channel`. The file being shared is remembered
/// under the workspace fact `pending` first, so that an attempt whose sharing's answer was
/// lost finds its file in the channel instead of sharing a second one.
pub(super) async fn publish_file(
    cx: &StepContext,
    channel: &ChannelId,
    filename: &str,
    title: &str,
    markdown: &str,
    pending: &str,
) -> Result<Published, StepError> {
    if let Some(file_id) = cx.store.workspace_fact(pending).await?
        && let Some(ts) = cx.slack.find_shared_file(channel, &file_id).await?
    {
        tracing::info!(file.id = file_id, "found the file an earlier attempt shared");
        let link = cx.slack.permalink(channel, &ts).await.ok();
        return Ok(Published { canvas_id: None, file_id: Some(file_id), link, versions: 0 });
    }
    let store = &cx.store;
    let remember = async |file_id: &str| {
        store.set_workspace_fact(pending, file_id).await.map_err(|e| {
            // Not remembered: not shared either, so a retry uploads afresh.
            SlackCallError::Transient(format!("could not remember the file being shared: {e:#}"))
        })
    };
    let file = cx.slack.upload_file(channel, filename, title, markdown.as_bytes().to_vec(), remember).await?;
    Ok(Published { canvas_id: None, file_id: Some(file.id), link: file.permalink, versions: 0 })
}

/// The link people open a canvas by.
pub(super) async fn canvas_link(cx: &StepContext, canvas_id: &str) -> Result<String, StepError> {
    let bot = cx.slack.bot().await?;
    Ok(format!("{}/docs/{}/{canvas_id}", bot.url.trim_end_matches('/'), bot.team_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_canvas_that_exists_already_is_not_a_reason_to_upload_a_file() {
        assert!(!canvases_unavailable("channel_canvas_already_exists"));
        for code in ["not_allowed_token_type", "free_team_not_allowed", "team_tier_cannot_create_channel_canvases"] {
            assert!(canvases_unavailable(code), "{code}");
        }
        assert!(canvases_unavailable("missing_scope"));
        assert!(!canvases_unavailable("channel_not_found"));
    }
}
