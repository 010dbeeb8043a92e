//! `/incident`: parse the text, then answer, refuse, or hand the work on.

use serde_json::json;

use super::App;
use super::declare::Declaration;
use super::reply::{self, Reply};
use crate::catalog::{Key, text};
use crate::domain::command::{Command, DeclareOptions, parse};
use crate::domain::declaration::DeclareForm;
use crate::domain::incident::{Incident, RoleName};
use crate::domain::lifecycle::Action;
use crate::domain::stats::Drills;
use crate::metrics::Stage;
use crate::render;
use crate::render::lifecycle_modals::QuickAction;
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
        let parsed = match self.metrics.timed(Stage::Parse, || parse(&command.text, &self.policy)) {
            Ok(parsed) => parsed,
            Err(error) => {
                self.metrics.count("firebell_commands_total", &[("command", "invalid")]);
                return Some(reply::grammar_error(&error, &self.policy));
            }
        };
        self.metrics.count("firebell_commands_total", &[("command", parsed.word())]);
        match parsed {
            Command::Help => Some(self.help.get_or_init(|| reply::help(&self.policy).rendered_ahead()).clone()),
            Command::Declare(options) => self.declare_command(command, options).await,
            Command::List => Some(self.list().await),
            Command::Stats { window, drills } => Some(self.or_internal(self.stats(window, drills).await)),
            Command::Dashboard => Some(self.or_internal(self.dashboard_link(&command.user_id).await)),
            Command::OnCall(service) => Some(self.or_internal(self.oncall(service.as_ref()).await)),
            Command::OnCallOverride { user, service, lasting } => {
                Some(self.or_internal(self.oncall_override(&command.user_id, &user, service.as_ref(), lasting).await))
            }
            Command::Change { services, text, at } => {
                Some(self.or_internal(self.announce_change(&text, &services, at, &command.user_id).await))
            }
            Command::Search { text, service } => Some(self.or_internal(self.search(&text, service.as_ref()).await)),
            other if other.needs_incident_channel() => self.in_incident_channel(command, other).await,
            other => Some(reply::simple(&self.policy, Key::NotYet, &[("command", other.word())])),
        }
    }

    async fn declare_command(&self, command: &SlashCommand, options: DeclareOptions) -> Option<Reply> {
        let Some(title) = options.title.clone() else {
            return self.open_declare_modal(command, &options).await;
        };
        let declaration = Declaration {
            form: DeclareForm {
                title,
                severity: options.severity.unwrap_or_else(|| self.policy.default_severity.clone()),
                services: options.services,
                impact: None,
                description: None,
                private: options.private,
                drill: options.drill,
            },
            reporter: command.user_id.clone(),
            response_url: Some(command.response_url.clone()).filter(|url| !url.is_empty()),
            rule: None,
        };
        match self.declare(declaration).await {
            Ok(incident) => {
                // A private incident's title is not repeated outside its channel, even here; a
                // drill says at once that it is one.
                let key = match (incident.private, incident.drill) {
                    (true, false) => Key::DeclareDeclaringPrivate,
                    (true, true) => Key::DeclareDeclaringPrivateDrill,
                    (false, true) => Key::DeclareDeclaringDrill,
                    (false, false) => Key::DeclareDeclaring,
                };
                Some(Reply::ephemeral(text(self.policy.locale, key).fill(&[
                    ("number", &incident.number.to_string()),
                    ("title", &incident.title),
                    ("severity", incident.severity.as_str()),
                ])))
            }
            Err(error) => {
                tracing::error!(error = format!("{error:#}"), "declaring failed");
                Some(reply::simple(&self.policy, Key::InternalError, &[]))
            }
        }
    }

    async fn open_declare_modal(&self, command: &SlashCommand, options: &DeclareOptions) -> Option<Reply> {
        let metadata = json!({"channel": command.channel_id.as_str()}).to_string();
        let view = render::declare_modal::build(&self.policy, options, &metadata);
        self.open_modal(&command.trigger_id, view).await
    }

    /// Commands that act on the incident of the channel they were typed in.
    async fn in_incident_channel(&self, command: &SlashCommand, parsed: Command) -> Option<Reply> {
        let incident = match self.store.incident_by_channel(&command.channel_id).await {
            Ok(Some(incident)) => incident,
            Ok(None) => {
                return Some(reply::simple(&self.policy, Key::NeedsIncidentChannel, &[("command", parsed.word())]));
            }
            Err(error) => {
                tracing::error!(error = format!("{error:#}"), "looking up the incident of a channel");
                return Some(reply::simple(&self.policy, Key::InternalError, &[]));
            }
        };
        let action = match parsed {
            Command::Update(Some(text)) => Action::Update { text, status: None },
            Command::Update(None) => {
                return self.open_quick_action(&command.trigger_id, QuickAction::PostUpdate, &incident).await;
            }
            Command::Status(status) => Action::SetStatus(status),
            Command::Severity(severity) => Action::SetSeverity(severity),
            Command::Lead(user) => Action::AssignRole { role: RoleName::from_stored("lead".to_owned()), user },
            Command::Role { role, user } => Action::AssignRole { role, user },
            Command::Title(title) => Action::SetTitle(title),
            Command::Impact(impact) => Action::SetImpact(impact),
            Command::ServiceAdd(service) => Action::AddService(service),
            Command::ServiceRemove(service) => Action::RemoveService(service),
            Command::Note(text) => Action::Note(text),
            Command::Resolve(summary) => Action::Resolve(summary),
            Command::Close => Action::Close,
            Command::Set { field, value } => Action::SetField { field, value },
            Command::RecordAction { kind, text } => Action::RecordAction { kind, text },
            Command::Followup(request) => {
                return Some(self.or_internal(self.add_followup(&incident, request, &command.user_id).await));
            }
            Command::Followups => return Some(self.or_internal(self.list_followups(&incident).await)),
            Command::Retro => return Some(self.or_internal(self.start_retro(&incident).await)),
            Command::Similar => return Some(self.or_internal(self.similar(&incident).await)),
            Command::Report { name, final_ } => {
                return Some(self.or_internal(self.start_report(&incident, name.as_deref(), final_).await));
            }
            Command::Page(user) => {
                return Some(self.or_internal(self.page_command(&incident, &user, &command.user_id).await));
            }
            other => return Some(reply::simple(&self.policy, Key::NotYet, &[("command", other.word())])),
        };
        Some(match self.act(&incident, action, &command.user_id).await {
            Ok(Ok(())) => reply::simple(&self.policy, Key::LifecycleDone, &[]),
            Ok(Err(refusal)) => Reply::ephemeral(refusal),
            Err(error) => {
                tracing::error!(error = format!("{error:#}"), "changing an incident failed");
                reply::simple(&self.policy, Key::InternalError, &[])
            }
        })
    }

    /// Opens one of the summary's quick-action modals; `None` when it opened.
    pub async fn open_quick_action(&self, trigger_id: &str, action: QuickAction, incident: &Incident) -> Option<Reply> {
        let view = render::lifecycle_modals::build(action, incident, &self.policy);
        self.open_modal(trigger_id, view).await
    }

    /// `views.open` within the trigger's 3 seconds; a reply saying why when it fails.
    pub(crate) async fn open_modal(&self, trigger_id: &str, view: serde_json::Value) -> Option<Reply> {
        let opened = tokio::time::timeout(VIEWS_OPEN_TIMEOUT, self.slack.open_view(trigger_id, view)).await;
        let code = match opened {
            Ok(Ok(_)) => return None,
            Ok(Err(SlackCallError::Refused(code) | SlackCallError::Auth(code))) => code,
            Ok(Err(error)) => error.code().to_owned(),
            Err(_) => "timeout".to_owned(),
        };
        tracing::warn!(slack.error = code, "could not open a modal");
        Some(reply::simple(&self.policy, Key::ModalOpenFailed, &[("code", &code)]))
    }

    /// The reply of a use case, or the internal-error reply (logged) when it failed.
    fn or_internal(&self, result: anyhow::Result<Reply>) -> Reply {
        result.unwrap_or_else(|error| {
            tracing::error!(error = format!("{error:#}"), "a command failed");
            reply::simple(&self.policy, Key::InternalError, &[])
        })
    }

    /// `/incident stats [--drills]`: counts and mean times by severity over the window, drills
    /// left out unless asked for.
    async fn stats(&self, window: crate::domain::command::StatsWindow, drills: bool) -> anyhow::Result<Reply> {
        use crate::domain::command::StatsWindow;
        let days = match window {
            StatsWindow::Days7 => 7,
            StatsWindow::Days30 => 30,
            StatsWindow::Days90 => 90,
        };
        let drills = if drills { Drills::Counted } else { Drills::LeftOut };
        let stats = self.stats_over(days, drills).await?;
        Ok(Reply::ephemeral(render::stats::report(&stats, days, drills, self.policy.locale)))
    }

    /// `/incident dashboard`: a one-time sign-in link, or how to turn the dashboard on.
    async fn dashboard_link(&self, user: &crate::domain::ids::UserId) -> anyhow::Result<Reply> {
        let Some(public_url) = self.public_url.as_deref() else {
            return Ok(reply::simple(&self.policy, Key::DashboardOff, &[]));
        };
        let link = self.login_link(public_url, user).await?;
        Ok(Reply::ephemeral(text(self.policy.locale, Key::DashboardLink).fill_trusted(&[("link", &link)])))
    }

    /// The statistics of the last `days` days (`/incident stats`, `/api/stats`).
    pub async fn stats_over(&self, days: i64, drills: Drills) -> anyhow::Result<crate::domain::stats::Stats> {
        Ok(self.stats_since(self.clock.now() - chrono::Duration::days(days), drills).await?.1)
    }

    /// The incidents declared since `since` and their statistics: what `/incident stats`, the
    /// API and the dashboard's overview all show, read and computed in one place. Drills are
    /// counted only when `drills` says so (`stats --drills`).
    pub async fn stats_since(
        &self,
        since: chrono::DateTime<chrono::Utc>,
        drills: Drills,
    ) -> anyhow::Result<(Vec<crate::domain::stats::IncidentTimes>, crate::domain::stats::Stats)> {
        let incidents = self.store.incident_times(since, drills).await?;
        let activity = self.store.activity_since(since, drills).await?;
        let stats =
            crate::domain::stats::compute(&incidents, &self.policy.severity_names(), &self.policy.actions, activity);
        Ok((incidents, stats))
    }

    /// The schedules `oncall` is about: every one, or the named service's. `Err` is the reply
    /// when that service has none.
    fn schedules_for(
        &self,
        service: Option<&crate::domain::incident::ServiceName>,
    ) -> Result<Vec<&crate::domain::oncall::Schedule>, Reply> {
        match service {
            None => Ok(self.policy.schedules.iter().collect()),
            Some(name) => {
                let named = self.policy.service(name.as_str()).and_then(|s| s.oncall.as_deref());
                named
                    .and_then(|n| self.policy.schedules.iter().find(|s| s.name == n))
                    .map(|schedule| vec![schedule])
                    .ok_or_else(|| {
                        reply::simple(&self.policy, Key::OncallServiceWithout, &[("service", name.as_str())])
                    })
            }
        }
    }

    /// `oncall [service:NAME]`: every schedule, or the one of that service, with its overrides.
    async fn oncall(&self, service: Option<&crate::domain::incident::ServiceName>) -> anyhow::Result<Reply> {
        let schedules = match self.schedules_for(service) {
            Ok(schedules) => schedules,
            Err(reply) => return Ok(reply),
        };
        let now = self.clock.now();
        let mut with_overrides = Vec::new();
        for schedule in schedules {
            with_overrides.push((schedule, self.store.oncall_overrides(&schedule.name, now).await?));
        }
        Ok(Reply::ephemeral(render::oncall::oncall(&with_overrides, &self.policy, now)))
    }

    /// `oncall override @user [service:NAME] [for DURATION]`: by the person on call now or an
    /// admin; until the current shift (or override) ends unless a duration is given.
    async fn oncall_override(
        &self,
        by: &crate::domain::ids::UserId,
        user: &crate::domain::ids::UserId,
        service: Option<&crate::domain::incident::ServiceName>,
        lasting: Option<std::time::Duration>,
    ) -> anyhow::Result<Reply> {
        let schedules = match self.schedules_for(service) {
            Ok(schedules) => schedules,
            Err(reply) => return Ok(reply),
        };
        let schedule = match schedules.as_slice() {
            [] => return Ok(reply::simple(&self.policy, Key::OncallNoSchedules, &[])),
            [one] => *one,
            _ => return Ok(reply::simple(&self.policy, Key::OncallWhichService, &[])),
        };
        let now = self.clock.now();
        let overrides = self.store.oncall_overrides(&schedule.name, now).await?;
        let current = crate::domain::oncall::on_call(schedule, &overrides, self.policy.timezone, now);
        let allowed = self.policy.admins.contains(by) || current.as_ref().is_some_and(|c| &c.user == by);
        if !allowed {
            let holder = current.map_or_else(|| "—".to_owned(), |c| format!("<@{}>", c.user));
            return Ok(Reply::ephemeral(
                crate::catalog::text(self.policy.locale, Key::OncallOverrideNotAllowed).fill_trusted(&[
                    ("schedule", &crate::domain::text::escape_mrkdwn(&schedule.name)),
                    ("user", &holder),
                ]),
            ));
        }
        let until = match (lasting, &current) {
            (Some(lasting), _) => crate::domain::reminders::plus(now, lasting),
            (None, Some(current)) => current.until,
            (None, None) => crate::domain::reminders::plus(now, schedule.shift),
        };
        self.store.add_oncall_override(&schedule.name, user, now, until, by, now).await?;
        Ok(Reply::ephemeral(render::oncall::override_set(schedule, user, until, &self.policy)))
    }

    async fn list(&self) -> Reply {
        match self.store.open_incidents().await {
            Ok(open) => Reply::ephemeral(render::incident::list(&open, &self.policy)),
            Err(error) => {
                tracing::error!(error = format!("{error:#}"), "listing incidents");
                reply::simple(&self.policy, Key::InternalError, &[])
            }
        }
    }
}
