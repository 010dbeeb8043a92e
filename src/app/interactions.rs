//! Interactions: what a person did on something firebell put in Slack — a button, a menu, a
//! modal submitted, the message shortcut — read once into a [`UserAction`] and handled here,
//! one use case per action.
//!
//! A click on something that is gone (an alert, incident or follow-up no longer there) is a
//! quiet acknowledgement; a store that cannot be read is logged once, here, at error level.

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::App;
use super::declare::Declaration;
use super::jobs::{self, Step};
use crate::catalog::{Key, text};
use crate::domain::command::DeclareOptions;
use crate::domain::ids::{ChannelId, UserId};
use crate::domain::incident::{Incident, IncidentId, RoleName};
use crate::domain::lifecycle::Action;
use crate::render::declare_modal;
use crate::render::lifecycle_modals::{self, QuickAction, Submitted};
use crate::slack::actions::{DeclareOrigin, UserAction};
use crate::slack::inbound::Interaction;

/// What to answer an interaction with.
#[derive(Clone, Debug, PartialEq)]
pub enum InteractionOutcome {
    /// 200 with an empty body (closes a submitted modal).
    Acknowledged,
    /// 200 with this JSON (e.g. `response_action: errors`).
    Respond(Value),
    /// From another workspace: refused.
    WrongWorkspace,
}

/// The row a click acts on: `None` when it is gone (acknowledged quietly) or when the store
/// could not be read (logged here, once).
fn clicked_on<T>(read: anyhow::Result<Option<T>>, what: &'static str) -> Option<T> {
    read.unwrap_or_else(|error| {
        tracing::error!(error = format!("{error:#}"), clicked.on = what, "could not read what a click acts on");
        None
    })
}

impl App {
    /// Checks the workspace, reads the action, and handles it.
    #[tracing::instrument(skip_all, fields(slack.interaction = interaction.kind))]
    pub async fn receive_interaction(&self, interaction: &Interaction) -> InteractionOutcome {
        if interaction.team_id != self.team_id {
            tracing::warn!(slack.team = %interaction.team_id, "refused an interaction from another workspace");
            return InteractionOutcome::WrongWorkspace;
        }
        let user = &interaction.user_id;
        match UserAction::parse(interaction) {
            UserAction::DeclareSubmitted { values, origin } => self.submit_declare(&values, origin, user).await,
            UserAction::QuickActionSubmitted { action, incident, values } => {
                self.submit_quick_action(action, incident, &values, user).await
            }
            UserAction::AlertDeclareClicked { alert, trigger_id } => self.open_alert_declare(alert, &trigger_id).await,
            UserAction::AlertDismissClicked { alert } => self.dismiss_clicked(alert, user).await,
            UserAction::FollowupDoneClicked { followup } => self.followup_done_clicked(followup, user).await,
            UserAction::SnoozeClicked { incident } => self.snooze_clicked(incident, user).await,
            UserAction::SnoozeForChosen { incident, delay } => self.snooze_chosen(incident, delay, user).await,
            UserAction::QuickActionClicked { action, incident, trigger_id } => {
                self.quick_action_clicked(action, incident, &trigger_id).await
            }
            UserAction::PageAcknowledgeClicked { page } => self.page_acknowledge_clicked(page, user).await,
            UserAction::MessageShortcut { channel, ts, text, trigger_id } => {
                self.report_from_message(&channel, &ts, &text, &trigger_id).await
            }
            UserAction::Other { reason } => {
                tracing::debug!(reason, "interaction acknowledged");
                InteractionOutcome::Acknowledged
            }
        }
    }

    /// A page's Acknowledge button. The page's message is edited through the outbox; a
    /// second click, or a click on someone else's page, changes nothing.
    async fn page_acknowledge_clicked(&self, page: i64, user: &UserId) -> InteractionOutcome {
        match self.acknowledge_page(page, user).await {
            Ok(outcome) => tracing::info!(page.id = page, ?outcome, "page acknowledge clicked"),
            Err(error) => tracing::error!(error = format!("{error:#}"), page.id = page, "could not acknowledge a page"),
        }
        InteractionOutcome::Acknowledged
    }

    /// An alert prompt's Declare button: the declare form, prefilled from the alert (opened
    /// within the trigger's 3 seconds).
    async fn open_alert_declare(&self, alert_id: i64, trigger_id: &str) -> InteractionOutcome {
        let Some(group) = clicked_on(self.store.alert_group(alert_id).await, "alert group") else {
            return InteractionOutcome::Acknowledged;
        };
        let prefill = DeclareOptions {
            private: false,
            drill: false,
            severity: Some(group.severity.clone()),
            services: group.service.clone().into_iter().collect(),
            title: Some(group.title.clone()),
        };
        let metadata = json!({"alert": group.id}).to_string();
        let view = declare_modal::build(&self.policy, &prefill, &metadata);
        if let Some(failed) = self.open_modal(trigger_id, view).await {
            tracing::warn!(reply = failed.text, "the alert's Declare button could not open the form");
        }
        InteractionOutcome::Acknowledged
    }

    /// An alert prompt's Dismiss button.
    async fn dismiss_clicked(&self, alert_id: i64, by: &UserId) -> InteractionOutcome {
        if let Some(group) = clicked_on(self.store.alert_group(alert_id).await, "alert group")
            && let Err(error) = self.dismiss_group(&group, by).await
        {
            tracing::error!(error = format!("{error:#}"), "dismissing an alert failed");
        }
        InteractionOutcome::Acknowledged
    }

    /// A follow-up's Mark done button.
    async fn followup_done_clicked(&self, followup_id: i64, by: &UserId) -> InteractionOutcome {
        if let Err(error) = self.complete_followup(followup_id, by).await {
            tracing::error!(error = format!("{error:#}"), "marking a follow-up done failed");
        }
        InteractionOutcome::Acknowledged
    }

    /// A reminder's Snooze button: snoozes by the severity's update cadence.
    async fn snooze_clicked(&self, incident_id: IncidentId, by: &UserId) -> InteractionOutcome {
        let Some(incident) = clicked_on(self.store.incident(incident_id).await, "incident") else {
            return InteractionOutcome::Acknowledged;
        };
        let delay = crate::domain::reminders::update_every(&self.policy, &incident.severity);
        self.snooze_chosen(incident_id, delay, by).await
    }

    /// A reminder's snooze menu (15 m, 30 m, 1 h), or the Snooze button's cadence.
    async fn snooze_chosen(&self, incident_id: IncidentId, delay: Duration, by: &UserId) -> InteractionOutcome {
        if let Err(error) = self.snooze(incident_id, delay, by).await {
            tracing::error!(error = format!("{error:#}"), "snoozing failed");
        }
        InteractionOutcome::Acknowledged
    }

    /// A button on the pinned summary or a reminder: open its modal (within the trigger's
    /// 3 seconds).
    async fn quick_action_clicked(
        &self,
        action: QuickAction,
        incident_id: IncidentId,
        trigger_id: &str,
    ) -> InteractionOutcome {
        if let Some(incident) = clicked_on(self.store.incident(incident_id).await, "incident")
            && let Some(failed) = self.open_quick_action(trigger_id, action, &incident).await
        {
            tracing::warn!(reply = failed.text, "a summary button could not open its modal");
        }
        InteractionOutcome::Acknowledged
    }

    /// The "Declare incident" message shortcut: the declare form, prefilled with the message.
    async fn report_from_message(
        &self,
        channel: &ChannelId,
        ts: &str,
        message: &str,
        trigger_id: &str,
    ) -> InteractionOutcome {
        let first_line = message.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
        let title = crate::domain::text::truncate_chars(first_line.trim(), crate::render::incident::TITLE_MAX);
        let prefill = DeclareOptions {
            private: false,
            drill: false,
            severity: None,
            services: Vec::new(),
            title: (!title.is_empty()).then_some(title),
        };
        let workspace = self.slack.cached_bot().map(|b| b.url).unwrap_or_default();
        let link = format!("{}/archives/{channel}/p{}", workspace.trim_end_matches('/'), ts.replace('.', ""));
        let mut view = declare_modal::build(
            &self.policy,
            &prefill,
            &json!({"source_channel": channel.as_str(), "source_ts": ts}).to_string(),
        );
        // The description starts as the message and its link, for the record.
        if let Some(blocks) = view["blocks"].as_array_mut()
            && let Some(description) = blocks.iter_mut().find(|b| b["block_id"] == "description")
        {
            description["element"]["initial_value"] =
                json!(crate::domain::text::truncate_chars(&format!("{message}\n\n{link}"), 2500));
        }
        if let Some(failed) = self.open_modal(trigger_id, view).await {
            tracing::warn!(reply = failed.text, "the message shortcut could not open the form");
        }
        InteractionOutcome::Acknowledged
    }

    /// When the form came from the message shortcut: queue the reply in that message's thread.
    async fn reply_to_reported_message(
        &self,
        incident: &Incident,
        channel: &ChannelId,
        ts: &str,
    ) -> anyhow::Result<()> {
        let now = self.clock.now();
        let mut conn = self.store.pool().acquire().await?;
        let step =
            Step::ReplyToSource { incident_id: incident.id, channel: channel.as_str().to_owned(), ts: ts.to_owned() };
        jobs::enqueue(&mut conn, &step, "reported", now).await?;
        self.wake_outbox();
        Ok(())
    }

    /// A submitted quick-action modal: the same effect as its command.
    async fn submit_quick_action(
        &self,
        quick: QuickAction,
        incident_id: Option<IncidentId>,
        values: &Value,
        by: &UserId,
    ) -> InteractionOutcome {
        let incident = match incident_id {
            Some(id) => self.store.incident(id).await,
            None => Ok(None),
        };
        let field = |block: &str, message: String| {
            InteractionOutcome::Respond(json!({"response_action": "errors", "errors": {block: message}}))
        };
        let first_field = match quick {
            QuickAction::PostUpdate => "text",
            QuickAction::ChangeSeverity => "severity",
            QuickAction::AssignLead => "lead",
            QuickAction::Resolve => "summary",
        };
        let incident = match incident {
            Ok(Some(incident)) => incident,
            Ok(None) => {
                return field(first_field, text(self.policy.locale, Key::ModalGone).as_str().to_owned());
            }
            Err(error) => {
                tracing::error!(error = format!("{error:#}"), "loading the incident of a modal");
                return field(first_field, text(self.policy.locale, Key::InternalError).as_str().to_owned());
            }
        };
        let action = match lifecycle_modals::read(quick, values, &self.policy) {
            Ok(Submitted::Update { text, status }) => Action::Update { text, status },
            Ok(Submitted::Severity(severity)) => Action::SetSeverity(severity),
            Ok(Submitted::Lead(user)) => Action::AssignRole { role: RoleName::from_stored("lead".to_owned()), user },
            Ok(Submitted::Resolve(summary)) => Action::Resolve(summary),
            Err((block, message)) => return field(block, message),
        };
        match self.act(&incident, action, by).await {
            Ok(Ok(())) => InteractionOutcome::Acknowledged,
            Ok(Err(refusal)) => field(first_field, refusal),
            Err(error) => {
                tracing::error!(error = format!("{error:#}"), "a quick action failed");
                field(first_field, text(self.policy.locale, Key::InternalError).as_str().to_owned())
            }
        }
    }

    /// A submitted declare form: declare, settling the alert it was opened from or answering
    /// in the thread of the message it was opened on.
    async fn submit_declare(&self, values: &Value, origin: DeclareOrigin, reporter: &UserId) -> InteractionOutcome {
        let form = match declare_modal::read(values, &self.policy) {
            Ok(form) => form,
            Err(errors) => {
                let errors: Map<String, Value> =
                    errors.into_iter().map(|(block, message)| (block.to_owned(), Value::String(message))).collect();
                return InteractionOutcome::Respond(json!({"response_action": "errors", "errors": errors}));
            }
        };
        let declaration = Declaration { form, reporter: reporter.clone(), response_url: None, rule: None };
        let declared = match origin {
            // A form opened from an alert group's prompt declares that group (once); if the
            // group is gone, the form still declares.
            DeclareOrigin::Alert(alert_id) => match self.store.alert_group(alert_id).await {
                Ok(Some(group)) => self.declare_group(&group, reporter, Some(declaration)).await.map(|_| ()),
                Ok(None) => self.declare(declaration).await.map(|_| ()),
                Err(error) => Err(error.context("reading the alert the form was opened from")),
            },
            DeclareOrigin::Message { channel, ts } => match self.declare(declaration).await {
                Ok(incident) => self.reply_to_reported_message(&incident, &channel, &ts).await,
                Err(error) => Err(error),
            },
            DeclareOrigin::Command => self.declare(declaration).await.map(|_| ()),
        };
        match declared {
            Ok(()) => InteractionOutcome::Acknowledged,
            Err(error) => {
                tracing::error!(error = format!("{error:#}"), "declaring from the modal failed");
                let message = text(self.policy.locale, Key::InternalError).as_str();
                InteractionOutcome::Respond(json!({"response_action": "errors", "errors": {"title": message}}))
            }
        }
    }
}
