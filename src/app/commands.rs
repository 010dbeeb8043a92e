//! `/incident`: parse the text, then answer, refuse, or hand the work on.

use super::App;
use super::reply::{self, Reply};
use crate::catalog::Key;
use crate::domain::command::{Command, parse};
use crate::slack::inbound::SlashCommand;

impl App {
    /// Handles one slash command and returns the immediate ephemeral reply.
    ///
    /// Must stay fast: it runs before Slack's 3-second acknowledgement, so it only reads
    /// and writes the database, never the Slack Web API.
    #[tracing::instrument(skip_all, fields(slack.user = %command.user_id, slack.channel = %command.channel_id))]
    pub async fn handle_command(&self, command: &SlashCommand) -> Reply {
        if command.team_id != self.team_id {
            tracing::warn!(slack.team = %command.team_id, "refused a command from another workspace");
            return reply::simple(&self.policy, Key::WrongWorkspace, &[]);
        }
        let parsed = match parse(&command.text, &self.policy) {
            Ok(parsed) => parsed,
            Err(error) => {
                self.metrics
                    .count("firebell_commands_total", &[("command", "invalid")]);
                return reply::grammar_error(&error, &self.policy);
            }
        };
        self.metrics
            .count("firebell_commands_total", &[("command", parsed.word())]);
        match parsed {
            Command::Help => reply::help(&self.policy),
            other if other.needs_incident_channel() => {
                self.in_incident_channel(command, &other).await
            }
            other => reply::simple(&self.policy, Key::NotYet, &[("command", other.word())]),
        }
    }

    /// Commands that act on the incident of the channel they were typed in.
    async fn in_incident_channel(&self, command: &SlashCommand, parsed: &Command) -> Reply {
        match self
            .store
            .incident_by_channel(command.channel_id.as_str())
            .await
        {
            Ok(Some(_incident)) => {
                reply::simple(&self.policy, Key::NotYet, &[("command", parsed.word())])
            }
            Ok(None) => reply::simple(
                &self.policy,
                Key::NeedsIncidentChannel,
                &[("command", parsed.word())],
            ),
            Err(error) => {
                tracing::error!(
                    error = format!("{error:#}"),
                    "looking up the incident of a channel"
                );
                reply::simple(&self.policy, Key::InternalError, &[])
            }
        }
    }
}
