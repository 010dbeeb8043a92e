//! `/incident`: parse the text, then answer, refuse, or hand the work on.

use serde_json::json;

use super::App;
use super::declare::Declaration;
use super::reply::{self, Reply};
use crate::catalog::{Key, text};
use crate::domain::command::{Command, DeclareOptions, parse};
use crate::render;
use crate::slack::client::SlackCallError;
use crate::slack::inbound::SlashCommand;

/// How long opening a modal may take: the `trigger_id` dies after 3 seconds anyway.
const VIEWS_OPEN_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(2500);

impl App {
    /// Handles one slash command and returns the immediate ephemeral reply (`None`: an empty
    /// 200, e.g. after opening a modal).
    ///
    /// Must stay fast: it runs before Slack's 3-second acknowledgement, so it only reads
    /// and writes the database — except `views.open`, which cannot wait.
    #[tracing::instrument(skip_all, fields(slack.user = %command.user_id, slack.channel = %command.channel_id))]
    pub async fn handle_command(&self, command: &SlashCommand) -> Option<Reply> {
        if command.team_id != self.team_id {
            tracing::warn!(slack.team = %command.team_id, "refused a command from another workspace");
            return Some(reply::simple(&self.policy, Key::WrongWorkspace, &[]));
        }
        let parsed = match parse(&command.text, &self.policy) {
            Ok(parsed) => parsed,
            Err(error) => {
                self.metrics.count("firebell_commands_total", &[("command", "invalid")]);
                return Some(reply::grammar_error(&error, &self.policy));
            }
        };
        self.metrics
            .count("firebell_commands_total", &[("command", parsed.word())]);
        match parsed {
            Command::Help => Some(reply::help(&self.policy)),
            Command::Declare(options) => self.declare_command(command, options).await,
            other if other.needs_incident_channel() => Some(self.in_incident_channel(command, &other).await),
            other => Some(reply::simple(&self.policy, Key::NotYet, &[("command", other.word())])),
        }
    }

    async fn declare_command(&self, command: &SlashCommand, options: DeclareOptions) -> Option<Reply> {
        let Some(title) = options.title.clone() else {
            return self.open_declare_modal(command, &options).await;
        };
        let declaration = Declaration {
            title,
            severity: options.severity.unwrap_or_else(|| self.policy.default_severity.clone()),
            services: options.services,
            impact: None,
            description: None,
            private: options.private,
            reporter: command.user_id.clone(),
            response_url: Some(command.response_url.clone()).filter(|url| !url.is_empty()),
        };
        match self.declare(declaration).await {
            Ok(incident) => Some(Reply::ephemeral(text(self.policy.locale, Key::DeclareDeclaring).fill(
                &[
                    ("number", &incident.number.to_string()),
                    ("title", &incident.title),
                    ("severity", incident.severity.as_str()),
                ],
            ))),
            Err(error) => {
                tracing::error!(error = format!("{error:#}"), "declaring failed");
                Some(reply::simple(&self.policy, Key::InternalError, &[]))
            }
        }
    }

    async fn open_declare_modal(&self, command: &SlashCommand, options: &DeclareOptions) -> Option<Reply> {
        let metadata = json!({"channel": command.channel_id.as_str()}).to_string();
        let view = render::declare_modal::build(&self.policy, options, &metadata);
        let body = json!({"trigger_id": command.trigger_id, "view": view});
        let opened = tokio::time::timeout(VIEWS_OPEN_TIMEOUT, self.slack.post("views.open", &body)).await;
        let code = match opened {
            Ok(Ok(_)) => return None,
            Ok(Err(SlackCallError::Refused(code) | SlackCallError::Auth(code))) => code,
            Ok(Err(error)) => error.code().to_owned(),
            Err(_) => "timeout".to_owned(),
        };
        tracing::warn!(slack.error = code, "could not open the declare modal");
        Some(reply::simple(&self.policy, Key::ModalOpenFailed, &[("code", &code)]))
    }

    /// Commands that act on the incident of the channel they were typed in.
    async fn in_incident_channel(&self, command: &SlashCommand, parsed: &Command) -> Reply {
        match self.store.incident_by_channel(&command.channel_id).await {
            Ok(Some(_incident)) => reply::simple(&self.policy, Key::NotYet, &[("command", parsed.word())]),
            Ok(None) => reply::simple(&self.policy, Key::NeedsIncidentChannel, &[("command", parsed.word())]),
            Err(error) => {
                tracing::error!(error = format!("{error:#}"), "looking up the incident of a channel");
                reply::simple(&self.policy, Key::InternalError, &[])
            }
        }
    }
}
