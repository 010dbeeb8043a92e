//! Interactions: modal submissions (and, as features land, buttons and shortcuts).

use serde_json::{Map, Value, json};

use super::App;
use super::declare::Declaration;
use super::jobs::{self, Step};
use crate::catalog::{Key, text};
use crate::domain::command::DeclareOptions;
use crate::domain::incident::RoleName;
use crate::domain::lifecycle::Action;
use crate::render::lifecycle_modals::{self, QuickAction, Submitted};
use crate::render::{self, alerts, declare_modal, reminders};
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

impl App {
    /// Checks the workspace and handles the interactions firebell knows.
    #[tracing::instrument(skip_all, fields(slack.interaction = interaction.kind))]
    pub async fn receive_interaction(&self, interaction: &Interaction) -> InteractionOutcome {
        if interaction.team_id != self.team_id {
            tracing::warn!(slack.team = %interaction.team_id, "refused an interaction from another workspace");
            return InteractionOutcome::WrongWorkspace;
        }
        let callback = interaction.raw["view"]["callback_id"].as_str().unwrap_or_default();
        match (interaction.kind.as_str(), callback) {
            ("view_submission", declare_modal::CALLBACK_ID) => self.submit_declare(interaction).await,
            ("view_submission", id) if QuickAction::from_id(id).is_some() => {
                self.submit_quick_action(interaction, id).await
            }
            ("block_actions", _) => self.click(interaction).await,
            ("message_action", _) => self.report_from_message(interaction).await,
            _ => {
                tracing::debug!("interaction acknowledged");
                InteractionOutcome::Acknowledged
            }
        }
    }

    /// A button on the pinned summary or a reminder: open its modal (within the trigger's
    /// 3 seconds), or snooze.
    async fn click(&self, interaction: &Interaction) -> InteractionOutcome {
        let Some(action) = interaction.raw["actions"].as_array().and_then(|a| a.first()) else {
            return InteractionOutcome::Acknowledged;
        };
        if let Some(alert_action) =
            action["action_id"].as_str().filter(|a| [alerts::DECLARE, alerts::DISMISS].contains(a))
        {
            let alert = match action["value"].as_str().and_then(|v| v.parse::<i64>().ok()) {
                Some(id) => self.store.alert(id).await.ok().flatten(),
                None => None,
            };
            let Some(alert) = alert else { return InteractionOutcome::Acknowledged };
            if alert_action == alerts::DISMISS {
                if let Err(error) = self.dismiss_alert(&alert, &interaction.user_id).await {
                    tracing::error!(error = format!("{error:#}"), "dismissing an alert failed");
                }
                return InteractionOutcome::Acknowledged;
            }
            let prefill = DeclareOptions {
                private: false,
                severity: Some(alert.severity.clone()),
                services: alert.service.clone().into_iter().collect(),
                title: Some(alert.title.clone()),
            };
            let metadata = json!({"alert": alert.id}).to_string();
            let view = declare_modal::build(&self.policy, &prefill, &metadata);
            let trigger = interaction.raw["trigger_id"].as_str().unwrap_or_default();
            if let Some(failed) = self.open_modal(trigger, view).await {
                tracing::warn!(reply = failed.text, "the alert's Declare button could not open the form");
            }
            return InteractionOutcome::Acknowledged;
        }
        if action["action_id"] == render::followups::DONE {
            if let Some(id) = action["value"].as_str().and_then(|v| v.parse::<i64>().ok())
                && let Err(error) = self.complete_followup(id, &interaction.user_id).await
            {
                tracing::error!(error = format!("{error:#}"), "marking a follow-up done failed");
            }
            return InteractionOutcome::Acknowledged;
        }
        if let Some((incident_id, delay)) = self.snooze_request(action).await {
            if let Err(error) = self.snooze(incident_id, delay, &interaction.user_id, None).await {
                tracing::error!(error = format!("{error:#}"), "snoozing failed");
            }
            return InteractionOutcome::Acknowledged;
        }
        let Some(quick) = action["action_id"].as_str().and_then(QuickAction::from_id) else {
            return InteractionOutcome::Acknowledged;
        };
        let incident = match action["value"].as_str().and_then(|v| v.parse::<i64>().ok()) {
            Some(id) => self.store.incident(id).await.ok().flatten(),
            None => None,
        };
        let trigger = interaction.raw["trigger_id"].as_str().unwrap_or_default();
        if let Some(incident) = incident
            && let Some(failed) = self.open_quick_action(trigger, quick, &incident).await
        {
            tracing::warn!(reply = failed.text, "a summary button could not open its modal");
        }
        InteractionOutcome::Acknowledged
    }

    /// The "Declare incident" message shortcut: the declare form, prefilled with the message.
    async fn report_from_message(&self, interaction: &Interaction) -> InteractionOutcome {
        let raw = &interaction.raw;
        let message = raw["message"]["text"].as_str().unwrap_or_default();
        let (Some(channel), Some(ts)) = (raw["channel"]["id"].as_str(), raw["message"]["ts"].as_str()) else {
            return InteractionOutcome::Acknowledged;
        };
        let first_line = message.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
        let title = crate::domain::text::truncate_chars(first_line.trim(), crate::render::incident::TITLE_MAX);
        let prefill = DeclareOptions {
            private: false,
            severity: None,
            services: Vec::new(),
            title: (!title.is_empty()).then_some(title),
        };
        let workspace = self.slack.cached_bot().map(|b| b.url).unwrap_or_default();
        let link = format!("{}/archives/{channel}/p{}", workspace.trim_end_matches('/'), ts.replace('.', ""));
        let mut view = declare_modal::build(
            &self.policy,
            &prefill,
            &json!({"source_channel": channel, "source_ts": ts}).to_string(),
        );
        // The description starts as the message and its link, for the record.
        if let Some(blocks) = view["blocks"].as_array_mut()
            && let Some(description) = blocks.iter_mut().find(|b| b["block_id"] == "description")
        {
            description["element"]["initial_value"] =
                json!(crate::domain::text::truncate_chars(&format!("{message}\n\n{link}"), 2500));
        }
        let trigger = raw["trigger_id"].as_str().unwrap_or_default();
        if let Some(failed) = self.open_modal(trigger, view).await {
            tracing::warn!(reply = failed.text, "the message shortcut could not open the form");
        }
        InteractionOutcome::Acknowledged
    }

    /// When the form came from the message shortcut: queue the reply in that message's thread.
    async fn reply_to_reported_message(
        &self,
        incident: &crate::domain::incident::Incident,
        metadata: &serde_json::Value,
    ) -> anyhow::Result<()> {
        let (Some(channel), Some(ts)) = (metadata["source_channel"].as_str(), metadata["source_ts"].as_str()) else {
            return Ok(());
        };
        let now = self.clock.now();
        let mut conn = self.store.pool().acquire().await?;
        let step = Step::ReplyToSource { incident_id: incident.id, channel: channel.to_owned(), ts: ts.to_owned() };
        jobs::enqueue(&mut conn, &step, "reported", now).await?;
        self.wake_outbox();
        Ok(())
    }

    /// A Snooze button (by the severity's cadence) or overflow choice: the incident and delay.
    async fn snooze_request(&self, action: &serde_json::Value) -> Option<(i64, std::time::Duration)> {
        match action["action_id"].as_str()? {
            reminders::SNOOZE => {
                let id: i64 = action["value"].as_str()?.parse().ok()?;
                let incident = self.store.incident(id).await.ok()??;
                Some((id, crate::domain::reminders::update_every(&self.policy, &incident.severity)))
            }
            reminders::SNOOZE_FOR => {
                let (id, seconds) = action["selected_option"]["value"].as_str()?.split_once(':')?;
                Some((id.parse().ok()?, std::time::Duration::from_secs(seconds.parse().ok()?)))
            }
            _ => None,
        }
    }

    /// A submitted quick-action modal: the same effect as its command.
    async fn submit_quick_action(&self, interaction: &Interaction, id: &str) -> InteractionOutcome {
        let Some(quick) = QuickAction::from_id(id) else {
            return InteractionOutcome::Acknowledged;
        };
        let incident_id = interaction.raw["view"]["private_metadata"].as_str().and_then(|v| v.parse::<i64>().ok());
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
        let values = &interaction.raw["view"]["state"]["values"];
        let action = match lifecycle_modals::read(quick, values, &self.policy) {
            Ok(Submitted::Update { text, status }) => Action::Update { text, status },
            Ok(Submitted::Severity(severity)) => Action::SetSeverity(severity),
            Ok(Submitted::Lead(user)) => Action::AssignRole { role: RoleName::from_stored("lead".to_owned()), user },
            Ok(Submitted::Resolve(summary)) => Action::Resolve(summary),
            Err((block, message)) => return field(block, message),
        };
        match self.act(&incident, action, &interaction.user_id).await {
            Ok(Ok(())) => InteractionOutcome::Acknowledged,
            Ok(Err(refusal)) => field(first_field, refusal),
            Err(error) => {
                tracing::error!(error = format!("{error:#}"), "a quick action failed");
                field(first_field, text(self.policy.locale, Key::InternalError).as_str().to_owned())
            }
        }
    }

    async fn submit_declare(&self, interaction: &Interaction) -> InteractionOutcome {
        let values = &interaction.raw["view"]["state"]["values"];
        let form = match declare_modal::read(values, &self.policy) {
            Ok(form) => form,
            Err(errors) => {
                let errors: Map<String, Value> =
                    errors.into_iter().map(|(block, message)| (block.to_owned(), Value::String(message))).collect();
                return InteractionOutcome::Respond(json!({"response_action": "errors", "errors": errors}));
            }
        };
        let declaration = Declaration { form, reporter: interaction.user_id.clone(), response_url: None };
        // A form opened from an alert's prompt declares that alert (once).
        let metadata: serde_json::Value = interaction.raw["view"]["private_metadata"]
            .as_str()
            .and_then(|m| serde_json::from_str(m).ok())
            .unwrap_or_default();
        let alert = match metadata["alert"].as_i64() {
            Some(id) => self.store.alert(id).await.ok().flatten(),
            None => None,
        };
        let declared = match alert {
            Some(alert) => self.declare_alert(&alert, &interaction.user_id, Some(declaration)).await.map(|_| ()),
            None => match self.declare(declaration).await {
                Ok(incident) => self.reply_to_reported_message(&incident, &metadata).await,
                Err(error) => Err(error),
            },
        };
        match declared {
            Ok(()) => InteractionOutcome::Acknowledged,
            Err(error) => {
                tracing::error!(error = format!("{error:#}"), "declaring from the modal failed");
                let message = crate::catalog::text(self.policy.locale, crate::catalog::Key::InternalError).as_str();
                InteractionOutcome::Respond(json!({"response_action": "errors", "errors": {"title": message}}))
            }
        }
    }
}
