//! Turns a [`RawPolicy`] into a typed [`Policy`], collecting every problem with its line.
//!
//! Pure: the source text is only used to turn byte offsets into line numbers.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::str::FromStr;
use std::time::Duration;

use super::defaults;
use super::raw::{RawActions, RawField, RawPolicy, RawReport, RawSchedule, RawService, RawSeverity, Text};
use crate::catalog::Locale;
use crate::domain::fields::{Field, FieldKind};
use crate::domain::ids::{ChannelId, UserId};
use crate::domain::incident::{RoleName, ServiceName, SeverityName};
use crate::domain::oncall::Schedule;
use crate::domain::policy::{
    AlertAction, AlertRule, BUILTIN_ROLES, Channels, DueAfter, Mention, Paging, Policy, Reminders, ReportSpec,
    Retention, RetroPolicy, Role, Service, Severity, Share,
};

/// One problem found in a policy file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line in the file (1 when the file has no better place to point at).
    pub line: usize,
    pub message: String,
}

/// Collects problems while the policy is read, so one run reports all of them.
pub(super) struct Checker<'a> {
    source: &'a str,
    pub problems: Vec<Problem>,
}

impl<'a> Checker<'a> {
    pub fn new(source: &'a str) -> Checker<'a> {
        Checker { source, problems: Vec::new() }
    }

    /// The 1-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.source.len());
        self.source.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
    }

    pub fn problem(&mut self, span: Range<usize>, message: String) {
        let line = self.line_of(span.start);
        self.problems.push(Problem { line, message });
    }
}

fn is_name(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn duration(check: &mut Checker<'_>, key: &str, value: Option<&Text>, default: Duration) -> Duration {
    let Some(value) = value else { return default };
    match humantime::parse_duration(value.get_ref()) {
        Ok(parsed) if !parsed.is_zero() => parsed,
        Ok(_) => {
            check.problem(value.span(), format!("{key} must be longer than zero, e.g. \"15m\""));
            default
        }
        Err(_) => {
            check.problem(
                value.span(),
                format!(
                    "{key} = \"{}\" is not a duration; expected e.g. \"90s\", \"15m\", \"1h\" or \"2d\"",
                    value.get_ref()
                ),
            );
            default
        }
    }
}

/// `retention.messages`: unset keeps messages for ever; a value must be a duration of at least
/// [`defaults::MIN_MESSAGE_RETENTION`].
fn message_retention(check: &mut Checker<'_>, value: Option<&Text>) -> Option<Duration> {
    let value = value?;
    let text = value.get_ref();
    match humantime::parse_duration(text) {
        Ok(parsed) if parsed >= defaults::MIN_MESSAGE_RETENTION => Some(parsed),
        Ok(_) => {
            check.problem(
                value.span(),
                format!(
                    "retention.messages = \"{text}\" is too short; expected at least 1d, e.g. \"90d\" (leave it out to keep messages for ever)"
                ),
            );
            None
        }
        Err(_) => {
            check.problem(
                value.span(),
                format!("retention.messages = \"{text}\" is not a duration; expected at least 1d, e.g. \"90d\""),
            );
            None
        }
    }
}

fn channel(check: &mut Checker<'_>, key: &str, value: Option<&Text>) -> Option<ChannelId> {
    let value = value?;
    let parsed = ChannelId::parse(value.get_ref());
    if parsed.is_none() {
        check.problem(
            value.span(),
            format!("{key} = \"{}\" is not a Slack channel id; expected an id like \"C0INCIDENTS\"", value.get_ref()),
        );
    }
    parsed
}

fn users(check: &mut Checker<'_>, key: &str, values: &[Text]) -> Vec<UserId> {
    values
        .iter()
        .filter_map(|value| {
            let parsed = UserId::parse(value.get_ref());
            if parsed.is_none() {
                check.problem(
                    value.span(),
                    format!("{key}: \"{}\" is not a Slack user id; expected an id like \"U0ONCALL1\"", value.get_ref()),
                );
            }
            parsed
        })
        .collect()
}

/// Validates the whole file. `Err` holds every problem found, in file order.
pub(super) fn validate(raw: RawPolicy, source: &str) -> Result<(Policy, Vec<Problem>), Vec<Problem>> {
    let mut check = Checker::new(source);
    let mut warnings = Vec::new();

    let timezone = match &raw.timezone {
        None => chrono_tz::UTC,
        Some(value) => chrono_tz::Tz::from_str(value.get_ref()).unwrap_or_else(|_| {
            check.problem(
                value.span(),
                format!(
                    "timezone = \"{}\" is not an IANA time zone; expected e.g. \"Asia/Seoul\" or \"UTC\"",
                    value.get_ref()
                ),
            );
            chrono_tz::UTC
        }),
    };
    let locale = match &raw.locale {
        None => Locale::En,
        Some(value) => Locale::parse(value.get_ref()).unwrap_or_else(|| {
            check.problem(
                value.span(),
                format!("locale = \"{}\" is not supported; expected \"en\" or \"ko\"", value.get_ref()),
            );
            Locale::En
        }),
    };

    let severities =
        if raw.severities.is_empty() { defaults::severities() } else { severities(&mut check, &raw.severities) };
    let severity_names: Vec<String> = severities.iter().map(|s| s.name.to_string()).collect();
    let known_severity = |check: &mut Checker<'_>, key: &str, value: &Text| -> Option<SeverityName> {
        let found = severities.iter().find(|s| s.name.as_str().eq_ignore_ascii_case(value.get_ref()));
        if found.is_none() {
            check.problem(
                value.span(),
                format!(
                    "{key}: unknown severity \"{}\"; expected one of {}",
                    value.get_ref(),
                    severity_names.join(", ")
                ),
            );
        }
        found.map(|s| s.name.clone())
    };

    let default_severity = match &raw.default_severity {
        Some(value) => known_severity(&mut check, "default_severity", value),
        None => None,
    }
    .or_else(|| severities.iter().find(|s| s.name.as_str() == "SEV3").map(|s| s.name.clone()))
    .or_else(|| severities.last().map(|s| s.name.clone()))
    .unwrap_or_else(|| SeverityName("SEV3".to_owned()));

    let schedules = schedules(&mut check, &raw.schedules);
    let services = services(&mut check, &raw.services, &schedules);
    let prefix = match &raw.channels.prefix {
        None => defaults::PREFIX.to_owned(),
        Some(value) => {
            let ok = (1..=20).contains(&value.get_ref().len())
                && value
                    .get_ref()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
            if !ok {
                check.problem(
                    value.span(),
                    format!(
                        "channels.prefix = \"{}\" cannot start a Slack channel name; expected 1–20 lowercase letters, digits, - or _",
                        value.get_ref()
                    ),
                );
            }
            value.get_ref().clone()
        }
    };
    let channels = Channels {
        announcements: channel(&mut check, "channels.announcements", raw.channels.announcements.as_ref()),
        triage: channel(&mut check, "channels.triage", raw.channels.triage.as_ref()),
        prefix,
    };

    let escalate_after = match &raw.reminders.escalate_after {
        None => defaults::ESCALATE_AFTER,
        Some(value) => u32::try_from(*value.get_ref()).ok().filter(|n| *n >= 1).unwrap_or_else(|| {
            check.problem(
                value.span(),
                format!("reminders.escalate_after = {} must be a whole number of at least 1", value.get_ref()),
            );
            defaults::ESCALATE_AFTER
        }),
    };
    let digest = raw.reminders.digest.as_ref().and_then(|value| match cron::Schedule::from_str(value.get_ref()) {
        Ok(schedule) => Some(schedule),
        Err(error) => {
            // The crate's message draws a caret under the input on extra lines; keep the reason.
            let error = error.to_string();
            let reason = error.lines().last().unwrap_or_default().trim().to_owned();
            check.problem(
                value.span(),
                format!(
                    "reminders.digest = \"{}\" is not a cron expression ({reason}); expected six fields \"sec min hour day month weekday\", e.g. \"0 0 9 * * Mon-Fri\"",
                    value.get_ref()
                ),
            );
            None
        }
    });
    let reminders = Reminders {
        escalate_after,
        digest,
        lead_within: duration(
            &mut check,
            "reminders.lead_within",
            raw.reminders.lead_within.as_ref(),
            defaults::LEAD_WITHIN,
        ),
        retro_within: duration(
            &mut check,
            "reminders.retro_within",
            raw.reminders.retro_within.as_ref(),
            defaults::RETRO_WITHIN,
        ),
    };

    let required_for = match &raw.retro.required_for {
        None => severities.iter().take(2).map(|s| s.name.clone()).collect(),
        Some(values) => values.iter().filter_map(|v| known_severity(&mut check, "retro.required_for", v)).collect(),
    };
    let retro = RetroPolicy { blameless: raw.retro.blameless.unwrap_or(true), required_for };
    let admins = users(&mut check, "permissions.admins", &raw.permissions.admins);
    let changes_lookback =
        duration(&mut check, "changes.lookback", raw.changes.lookback.as_ref(), defaults::CHANGES_LOOKBACK);
    let dashboard_session =
        duration(&mut check, "dashboard.session", raw.dashboard.session.as_ref(), defaults::DASHBOARD_SESSION);
    let retention = Retention { messages: message_retention(&mut check, raw.retention.messages.as_ref()) };

    let mut role_names: HashSet<String> = BUILTIN_ROLES.iter().map(|r| (*r).to_owned()).collect();
    let mut roles = Vec::new();
    for role in &raw.roles {
        let name = role.name.get_ref();
        if !is_name(name) {
            check.problem(
                role.name.span(),
                format!("roles: \"{name}\" is not a role name; expected letters, digits, - or _"),
            );
        } else if !role_names.insert(name.to_lowercase()) {
            check.problem(
                role.name.span(),
                format!("roles: \"{name}\" is defined twice (lead, comms and scribe are built in)"),
            );
        } else {
            roles.push(Role { name: RoleName(name.clone()), description: role.description.clone() });
        }
    }

    let alert_rules = alert_rules(&mut check, &raw, &severities, &services);
    let alert_flood_threshold = match &raw.alerts.flood_threshold {
        None => super::defaults::ALERT_FLOOD_THRESHOLD,
        Some(value) => match u32::try_from(*value.get_ref()) {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                check.problem(
                    value.span(),
                    format!(
                        "alerts.flood_threshold = {}; expected new prompts a minute from 1 to 1000",
                        value.get_ref()
                    ),
                );
                super::defaults::ALERT_FLOOD_THRESHOLD
            }
        },
    };

    let defaults = defaults::paging(&severities);
    let paging = Paging {
        severities: match &raw.paging.severities {
            None => defaults.severities,
            Some(values) => values.iter().filter_map(|v| known_severity(&mut check, "paging.severities", v)).collect(),
        },
        ack_within: duration(&mut check, "paging.ack_within", raw.paging.ack_within.as_ref(), defaults.ack_within),
        escalate_to: users(&mut check, "paging.escalate_to", &raw.paging.escalate_to),
        pagerduty: raw.paging.pagerduty.unwrap_or(false),
        opsgenie: raw.paging.opsgenie.unwrap_or(false),
    };

    let fields = fields(&mut check, &raw.fields);
    let actions = actions(&mut check, &raw.actions);
    let reports = reports(&mut check, &raw.reports, locale);

    if check.problems.is_empty() {
        if channels.announcements.is_none() && severities.iter().any(|s| s.share == Share::Broad) {
            warnings.push(Problem {
                line: 1,
                message: "channels.announcements is not set, so broad incidents reach only the affected teams"
                    .to_owned(),
            });
        }
        for service in raw.services.iter().filter(|s| s.team_channel.is_none()) {
            warnings.push(Problem {
                line: check.line_of(service.name.span().start),
                message: format!(
                    "service \"{}\" has no team_channel, so its team is not told about narrow incidents",
                    service.name.get_ref()
                ),
            });
        }
    }

    if !check.problems.is_empty() {
        check.problems.sort_by_key(|p| p.line);
        return Err(check.problems);
    }
    let policy = Policy {
        timezone,
        locale,
        default_severity,
        channels,
        reminders,
        retro,
        admins,
        archive_on_close: raw.lifecycle.archive_on_close.unwrap_or(false),
        changes_lookback,
        dashboard_session,
        retention,
        roles,
        alert_rules,
        alert_flood_threshold,
        severities,
        services,
        schedules,
        paging,
        fields,
        actions,
        reports,
    };
    Ok((policy, warnings))
}

/// A word people type after `set` or `action`: lowercase letters, digits, `-` and `_`.
fn is_word(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_'))
}

/// `[[fields]]`: a unique lowercase name, a kind, and options exactly for a select.
fn fields(check: &mut Checker<'_>, raw: &[RawField]) -> Vec<Field> {
    let mut fields: Vec<Field> = Vec::new();
    for field in raw {
        let name = field.name.get_ref();
        if !is_word(name) {
            check.problem(
                field.name.span(),
                format!("fields: \"{name}\" is not a field name; expected a lowercase word like \"customers\""),
            );
            continue;
        }
        if fields.iter().any(|f| f.name == *name) {
            check.problem(field.name.span(), format!("fields: \"{name}\" is defined twice"));
            continue;
        }
        let options: Vec<String> = field.options.iter().flatten().map(|o| o.get_ref().trim().to_owned()).collect();
        let kind = match (field.kind.get_ref().as_str(), &field.options) {
            ("text", None) => FieldKind::Text,
            ("number", None) => FieldKind::Number,
            ("select", Some(_)) if !options.is_empty() && options.iter().all(|o| !o.is_empty()) => {
                let mut seen: Vec<String> = Vec::new();
                for option in &options {
                    if seen.iter().any(|o| o.eq_ignore_ascii_case(option)) {
                        check.problem(field.kind.span(), format!("field {name}: option \"{option}\" is listed twice"));
                    }
                    seen.push(option.clone());
                }
                FieldKind::Select(options)
            }
            ("select", _) => {
                check.problem(
                    field.kind.span(),
                    format!("field {name}: a select needs options, e.g. options = [\"hardware\", \"network\"]"),
                );
                continue;
            }
            ("text" | "number", Some(_)) => {
                check.problem(field.kind.span(), format!("field {name}: only a select has options"));
                continue;
            }
            (other, _) => {
                check.problem(
                    field.kind.span(),
                    format!("field {name}: kind = \"{other}\" is not a field kind; expected text, number or select"),
                );
                continue;
            }
        };
        let label = field.label.clone().filter(|l| !l.trim().is_empty()).unwrap_or_else(|| name.clone());
        fields.push(Field { name: name.clone(), label, kind });
    }
    fields
}

/// `[[reports]]`: a unique lowercase name other than `final`, a template (a built-in or a
/// file), and a deadline that is a duration after `declared` or `resolved`. Left out: the
/// built-in report of the policy's language.
fn reports(check: &mut Checker<'_>, raw: &[RawReport], locale: Locale) -> Vec<ReportSpec> {
    if raw.is_empty() {
        return defaults::reports(locale);
    }
    let mut reports: Vec<ReportSpec> = Vec::new();
    for report in raw {
        let name = report.name.get_ref();
        let line = check.line_of(report.name.span().start);
        if !is_word(name) || name == "final" {
            check.problem(
                report.name.span(),
                format!(
                    "reports: \"{name}\" is not a report name; expected a lowercase word other than \"final\" (which `report NAME final` uses)"
                ),
            );
            continue;
        }
        if reports.iter().any(|r| r.name == *name) {
            check.problem(report.name.span(), format!("reports: \"{name}\" is defined twice"));
            continue;
        }
        let template = report.template.get_ref().trim();
        if template.is_empty() {
            check.problem(report.template.span(), format!("report {name}: template is empty; expected builtin:ko-report, builtin:en-report, builtin:executive or a file path"));
            continue;
        }
        if let Some(builtin) = template.strip_prefix("builtin:")
            && !BUILTIN_REPORTS.contains(&builtin)
        {
            check.problem(
                report.template.span(),
                format!("report {name}: template = \"{template}\" is not a built-in; expected builtin:ko-report, builtin:en-report or builtin:executive"),
            );
            continue;
        }
        let due =
            report.due.as_ref().map(|due| duration(check, &format!("report {name}: due"), Some(due), Duration::ZERO));
        let due_after = match report.due_after.as_ref().map(|d| d.get_ref().as_str()) {
            None | Some("declared") => DueAfter::Declared,
            Some("resolved") => DueAfter::Resolved,
            Some(other) => {
                if let Some(value) = &report.due_after {
                    check.problem(
                        value.span(),
                        format!(
                            "report {name}: due_after = \"{other}\" is not a moment; expected declared or resolved"
                        ),
                    );
                }
                DueAfter::Declared
            }
        };
        reports.push(ReportSpec {
            name: name.clone(),
            title: report.title.clone().filter(|t| !t.trim().is_empty()),
            template: template.to_owned(),
            due,
            due_after,
            line,
            // A built-in's text now; a file's is read by `load`, relative to the policy file.
            source: crate::report::Template::builtin_in(template, locale).map(|t| t.source),
        });
    }
    reports
}

/// The templates compiled into the binary.
const BUILTIN_REPORTS: [&str; 3] = ["ko-report", "en-report", "executive"];

/// `actions.kinds`: unique lowercase words; left out, the six defaults.
fn actions(check: &mut Checker<'_>, raw: &RawActions) -> Vec<String> {
    let Some(kinds) = &raw.kinds else { return defaults::actions() };
    if kinds.get_ref().is_empty() {
        check.problem(kinds.span(), "actions.kinds is empty; list at least one, e.g. [\"rollback\"]".to_owned());
    }
    let mut out: Vec<String> = Vec::new();
    for kind in kinds.get_ref() {
        let word = kind.get_ref();
        if !is_word(word) {
            check.problem(
                kind.span(),
                format!("actions.kinds: \"{word}\" is not an action kind; expected a lowercase word like \"rollback\""),
            );
        } else if out.contains(word) {
            check.problem(kind.span(), format!("actions.kinds: \"{word}\" is listed twice"));
        } else {
            out.push(word.clone());
        }
    }
    out
}

fn severities(check: &mut Checker<'_>, raw: &[RawSeverity]) -> Vec<Severity> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for severity in raw {
        let name = severity.name.get_ref();
        if !is_name(name) {
            check.problem(
                severity.name.span(),
                format!("severities: \"{name}\" is not a severity name; expected letters and digits, e.g. \"SEV1\""),
            );
            continue;
        }
        if !seen.insert(name.to_lowercase()) {
            check.problem(severity.name.span(), format!("severities: \"{name}\" is defined twice"));
            continue;
        }
        let share = match severity.share.get_ref().as_str() {
            "broad" => Share::Broad,
            "narrow" => Share::Narrow,
            other => {
                check.problem(
                    severity.share.span(),
                    format!("severity {name}: share = \"{other}\"; expected \"broad\" or \"narrow\""),
                );
                Share::Narrow
            }
        };
        let mention = match severity.mention.as_ref().map(|m| (m.get_ref().as_str(), m.span())) {
            None | Some(("none", _)) => Mention::None,
            Some(("here", _)) => Mention::Here,
            Some(("channel", _)) => Mention::Channel,
            Some((other, span)) => {
                check.problem(
                    span,
                    format!("severity {name}: mention = \"{other}\"; expected \"here\", \"channel\" or \"none\""),
                );
                Mention::None
            }
        };
        let key = format!("severity {name}: update_every");
        let update_every = duration(check, &key, Some(&severity.update_every), defaults::UPDATE_EVERY);
        out.push(Severity {
            name: SeverityName(name.clone()),
            label: if severity.label.is_empty() { name.clone() } else { severity.label.clone() },
            share,
            mention,
            update_every,
        });
    }
    out
}

/// `[[schedules]]`: a unique name, at least one member (user ids), a shift longer than zero
/// and a start (`2026-11-30T10:00`, wall-clock time in the policy's zone).
fn schedules(check: &mut Checker<'_>, raw: &[RawSchedule]) -> Vec<Schedule> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for schedule in raw {
        let name = schedule.name.get_ref();
        if !is_name(name) {
            check.problem(
                schedule.name.span(),
                format!("schedules: \"{name}\" is not a schedule name; expected letters, digits, ., - or _"),
            );
        } else if !seen.insert(name.to_lowercase()) {
            check.problem(schedule.name.span(), format!("schedules: \"{name}\" is defined twice"));
        }
        if schedule.members.is_empty() {
            check.problem(
                schedule.name.span(),
                format!("schedule {name}: members is empty; expected at least one user id like \"U0ONCALL1\""),
            );
        }
        let members = users(check, &format!("schedule {name}: members"), &schedule.members);
        let shift = duration(check, &format!("schedule {name}: shift"), Some(&schedule.shift), Duration::ZERO);
        let start_text = schedule.start.get_ref();
        let start = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
            .iter()
            .find_map(|format| chrono::NaiveDateTime::parse_from_str(start_text, format).ok());
        let Some(start) = start else {
            check.problem(
                schedule.start.span(),
                format!(
                    "schedule {name}: start = \"{start_text}\" is not a date and time; expected e.g. \"2026-11-30T10:00\" (in the policy's timezone)"
                ),
            );
            continue;
        };
        out.push(Schedule { name: name.clone(), members, shift, start });
    }
    out
}

fn services(check: &mut Checker<'_>, raw: &[RawService], schedules: &[Schedule]) -> Vec<Service> {
    let mut seen = HashSet::new();
    for service in raw {
        let name = service.name.get_ref();
        if !is_name(name) {
            check.problem(
                service.name.span(),
                format!("services: \"{name}\" is not a service name; expected letters, digits, ., - or _"),
            );
        } else if !seen.insert(name.to_lowercase()) {
            check.problem(service.name.span(), format!("services: \"{name}\" is defined twice"));
        }
    }
    let canonical =
        |name: &str| raw.iter().find(|s| s.name.get_ref().eq_ignore_ascii_case(name)).map(|s| s.name.get_ref().clone());
    let mut out = Vec::new();
    for service in raw {
        let name = service.name.get_ref();
        let mut depends_on = Vec::new();
        for dependency in &service.depends_on {
            match canonical(dependency.get_ref()) {
                Some(found) if found.eq_ignore_ascii_case(name) => {
                    check.problem(dependency.span(), format!("service {name}: depends_on names itself"));
                }
                Some(found) => depends_on.push(ServiceName(found)),
                None => check.problem(
                    dependency.span(),
                    format!(
                        "service {name}: depends_on names unknown service \"{}\"; expected one of {}",
                        dependency.get_ref(),
                        raw.iter().map(|s| s.name.get_ref().as_str()).collect::<Vec<_>>().join(", ")
                    ),
                ),
            }
        }
        let oncall = service.oncall.as_ref().and_then(|oncall| {
            let found = schedules.iter().find(|s| s.name.eq_ignore_ascii_case(oncall.get_ref()));
            if found.is_none() {
                let known: Vec<&str> = schedules.iter().map(|s| s.name.as_str()).collect();
                check.problem(
                    oncall.span(),
                    format!(
                        "service {name}: oncall names unknown schedule \"{}\"; expected one of the [[schedules]] names{}",
                        oncall.get_ref(),
                        if known.is_empty() { " (there are none)".to_owned() } else { format!(": {}", known.join(", ")) }
                    ),
                );
            }
            found.map(|s| s.name.clone())
        });
        out.push(Service {
            oncall,
            name: ServiceName(name.clone()),
            team_channel: channel(check, &format!("service {name}: team_channel"), service.team_channel.as_ref()),
            responders: users(check, &format!("service {name}: responders"), &service.responders),
            depends_on,
        });
    }
    if let Some(cycle) = find_cycle(&out) {
        let first = raw.iter().find(|s| s.name.get_ref() == &cycle[0]).map_or(0..0, |s| s.name.span());
        check.problem(first, format!("services: dependency cycle {}; depends_on must not loop", cycle.join(" → ")));
    }
    out
}

/// The first dependency cycle, as the names along it with the first repeated at the end.
fn find_cycle(services: &[Service]) -> Option<Vec<String>> {
    let edges: BTreeMap<&str, Vec<&str>> =
        services.iter().map(|s| (s.name.as_str(), s.depends_on.iter().map(|d| d.as_str()).collect())).collect();
    // Depth-first search with an explicit path; the graph is small (tens of services).
    fn visit<'a>(
        node: &'a str,
        edges: &BTreeMap<&'a str, Vec<&'a str>>,
        path: &mut Vec<&'a str>,
        done: &mut HashSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| *n == node) {
            let mut cycle: Vec<String> = path[start..].iter().map(|n| (*n).to_owned()).collect();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node);
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node);
        None
    }
    let mut done = HashSet::new();
    edges.keys().find_map(|node| visit(node, &edges, &mut Vec::new(), &mut done))
}

fn alert_rules(
    check: &mut Checker<'_>,
    raw: &RawPolicy,
    severities: &[Severity],
    services: &[Service],
) -> Vec<AlertRule> {
    let mut out = Vec::new();
    for rule in &raw.alerts.rules {
        let action = match rule.action.get_ref().as_str() {
            "declare" => AlertAction::Declare,
            "prompt" => AlertAction::Prompt,
            other => {
                check.problem(
                    rule.action.span(),
                    format!("alerts.rules: action = \"{other}\"; expected \"declare\" or \"prompt\""),
                );
                continue;
            }
        };
        if rule.matchers.get_ref().is_empty() {
            check.problem(
                rule.matchers.span(),
                "alerts.rules: match is empty; name at least one label, e.g. { service = \"payments\" }".to_owned(),
            );
        }
        let severity = rule.severity.as_ref().and_then(|value| {
            let found = severities.iter().find(|s| s.name.as_str().eq_ignore_ascii_case(value.get_ref()));
            if found.is_none() {
                let names: Vec<&str> = severities.iter().map(|s| s.name.as_str()).collect();
                check.problem(
                    value.span(),
                    format!(
                        "alerts.rules: unknown severity \"{}\"; expected one of {}",
                        value.get_ref(),
                        names.join(", ")
                    ),
                );
            }
            found.map(|s| s.name.clone())
        });
        let service = rule.service.as_ref().and_then(|value| {
            let found = services.iter().find(|s| s.name.as_str().eq_ignore_ascii_case(value.get_ref()));
            if found.is_none() {
                let names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
                check.problem(
                    value.span(),
                    format!(
                        "alerts.rules: unknown service \"{}\"; expected one of {}",
                        value.get_ref(),
                        names.join(", ")
                    ),
                );
            }
            found.map(|s| s.name.clone())
        });
        out.push(AlertRule { matchers: rule.matchers.get_ref().clone(), action, severity, service });
    }
    out
}
