//! Interactions: modal submissions (and, as features land, buttons and shortcuts).

use serde_json::{Map, Value, json};

use super::App;
use super::declare::Declaration;
use crate::render::declare_modal;
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
            _ => {
                tracing::debug!("interaction acknowledged");
                InteractionOutcome::Acknowledged
            }
        }
    }

    async fn submit_declare(&self, interaction: &Interaction) -> InteractionOutcome {
        let values = &interaction.raw["view"]["state"]["values"];
        let form = match declare_modal::read(values, &self.policy) {
            Ok(form) => form,
            Err(errors) => {
                let errors: Map<String, Value> = errors
                    .into_iter()
                    .map(|(block, message)| (block.to_owned(), Value::String(message)))
                    .collect();
                return InteractionOutcome::Respond(json!({"response_action": "errors", "errors": errors}));
            }
        };
        let declaration = Declaration {
            title: form.title,
            severity: form.severity,
            services: form.services,
            impact: form.impact,
            description: form.description,
            private: form.private,
            reporter: interaction.user_id.clone(),
            response_url: None,
        };
        match self.declare(declaration).await {
            Ok(_) => InteractionOutcome::Acknowledged,
            Err(error) => {
                tracing::error!(error = format!("{error:#}"), "declaring from the modal failed");
                let message = crate::catalog::text(self.policy.locale, crate::catalog::Key::InternalError).as_str();
                InteractionOutcome::Respond(json!({"response_action": "errors", "errors": {"title": message}}))
            }
        }
    }
}
