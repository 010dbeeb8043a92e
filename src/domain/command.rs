//! The `/incident` grammar: text in, a typed [`Command`] or a [`GrammarError`] out.
//!
//! Pure: it needs the policy only to know which severities, services and roles exist.
//! Command words are case-insensitive; free text (titles, updates, notes) keeps the spelling
//! and spacing the user typed. Rendering errors into replies is the app layer's job.

use chrono::{NaiveDate, NaiveTime};

pub use crate::domain::followup::FollowupGroup;
use crate::domain::ids::UserId;
use crate::domain::incident::{IncidentStatus, RoleName, ServiceName, SeverityName};
use crate::domain::policy::Policy;

/// One parsed `/incident` command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Help,
    /// `declare …`; without a title the declare modal opens, prefilled.
    Declare(DeclareOptions),
    List,
    /// `stats [7d|30d|90d] [--drills]`: with `drills`, drills are counted too.
    Stats {
        window: StatsWindow,
        drills: bool,
    },
    /// `dashboard`: a one-time sign-in link to the dashboard.
    Dashboard,
    /// `change [service:NAME…] TEXT [at:HH:MM]`: announce planned work.
    Change {
        services: Vec<ServiceName>,
        text: String,
        at: Option<NaiveTime>,
    },
    /// `update [TEXT]`; without text the update modal opens.
    Update(Option<String>),
    /// `status investigating|identified|monitoring`.
    Status(IncidentStatus),
    Severity(SeverityName),
    Lead(UserId),
    Role {
        role: RoleName,
        user: UserId,
    },
    Title(String),
    Impact(String),
    ServiceAdd(ServiceName),
    ServiceRemove(ServiceName),
    Note(String),
    Followup(FollowupRequest),
    Followups,
    Resolve(Option<String>),
    Retro,
    Close,
    /// `oncall [service:NAME]`: who is on call now, until when, and who is next.
    OnCall(Option<ServiceName>),
    /// `oncall override @user [service:NAME] [for DURATION]`: @user on call now, for that
    /// long (`None`: until the current shift ends).
    OnCallOverride {
        user: UserId,
        service: Option<ServiceName>,
        lasting: Option<std::time::Duration>,
    },
    /// `page @user`: page @user now for this incident, as the on-call is paged.
    Page(UserId),
    /// `report [NAME] [final]`: render and publish a report (the first one without NAME).
    Report {
        name: Option<String>,
        final_: bool,
    },
    /// `set FIELD VALUE`: a custom field (checked against the policy when applied).
    Set {
        field: String,
        value: String,
    },
    /// `action KIND [TEXT]`: a response action (its kind checked when applied).
    RecordAction {
        kind: String,
        text: Option<String>,
    },
    /// `search TEXT [service:NAME]`: past and open incidents matching every word of TEXT.
    Search {
        text: String,
        service: Option<ServiceName>,
    },
    /// `similar`: the incident's similar past incidents, as its summary lists them.
    Similar,
}

/// The options of a quick `declare`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeclareOptions {
    pub private: bool,
    /// `--drill`: a practice incident.
    pub drill: bool,
    pub severity: Option<SeverityName>,
    pub services: Vec<ServiceName>,
    /// `None` opens the modal.
    pub title: Option<String>,
}

/// `followup [prevent|detect|handle] TEXT [@owner] [due:YYYY-MM-DD]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowupRequest {
    pub group: FollowupGroup,
    pub text: String,
    pub owner: Option<UserId>,
    pub due: Option<NaiveDate>,
}

/// The window of `stats`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatsWindow {
    Days7,
    Days30,
    Days90,
}

/// Why a command was not understood. Each variant carries what the reply needs to say what
/// was wrong; the accepted values come from the policy when the reply is rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GrammarError {
    UnknownCommand {
        word: String,
    },
    UnknownSeverity {
        word: String,
    },
    UnknownService {
        word: String,
    },
    UnknownRole {
        word: String,
    },
    UnknownStatus {
        word: String,
    },
    UnknownStatsWindow {
        word: String,
    },
    UnknownOption {
        word: String,
    },
    RepeatedSeverity,
    /// The command needs an argument that is missing (`usage` is the command word).
    MissingArgument {
        usage: Usage,
    },
    /// A user mention was expected where `got` stands.
    ExpectedUser {
        usage: Usage,
        got: String,
    },
    /// Words after a complete command.
    UnexpectedWords {
        usage: Usage,
        words: String,
    },
    BadDueDate {
        word: String,
    },
    BadTime {
        word: String,
    },
}

/// Which command's usage line a reply should show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usage {
    Stats,
    Change,
    Status,
    Severity,
    Lead,
    Page,
    Set,
    Action,
    Role,
    Title,
    Impact,
    Service,
    Note,
    Followup,
    Search,
    Simple(&'static str),
}

impl Usage {
    /// The usage line, in the grammar's own words (the same in every language).
    pub fn line(self) -> &'static str {
        match self {
            Usage::Stats => STATS_USAGE,
            Usage::Change => "change [service:NAME…] TEXT [at:HH:MM]",
            Usage::Status => "status investigating|identified|monitoring",
            Usage::Severity => "severity sevN",
            Usage::Lead => "lead @user",
            Usage::Page => "page @user",
            Usage::Set => "set FIELD VALUE",
            Usage::Action => "action KIND [TEXT]",
            Usage::Role => "role NAME @user",
            Usage::Title => "title TEXT",
            Usage::Impact => "impact TEXT",
            Usage::Service => "service add|remove NAME",
            Usage::Note => "note TEXT",
            Usage::Followup => "followup [prevent|detect|handle] TEXT [@owner] [due:YYYY-MM-DD]",
            Usage::Search => "search TEXT [service:NAME]",
            Usage::Simple(word) => word,
        }
    }
}

impl Command {
    /// True for commands that only make sense inside an incident channel.
    pub fn needs_incident_channel(&self) -> bool {
        !matches!(
            self,
            Command::Help
                | Command::Declare(_)
                | Command::List
                | Command::Stats { .. }
                | Command::Dashboard
                | Command::Change { .. }
                | Command::OnCall(_)
                | Command::OnCallOverride { .. }
                | Command::Search { .. }
        )
    }

    /// The command word, for replies such as "`retro` is coming soon".
    pub fn word(&self) -> &'static str {
        match self {
            Command::Help => "help",
            Command::Declare(_) => "declare",
            Command::List => "list",
            Command::Stats { .. } => "stats",
            Command::Dashboard => "dashboard",
            Command::Change { .. } => "change",
            Command::Update(_) => "update",
            Command::Status(_) => "status",
            Command::Severity(_) => "severity",
            Command::Lead(_) => "lead",
            Command::Role { .. } => "role",
            Command::Title(_) => "title",
            Command::Impact(_) => "impact",
            Command::ServiceAdd(_) | Command::ServiceRemove(_) => "service",
            Command::Note(_) => "note",
            Command::Followup(_) => "followup",
            Command::Followups => "followups",
            Command::Resolve(_) => "resolve",
            Command::Retro => "retro",
            Command::Close => "close",
            Command::OnCall(_) | Command::OnCallOverride { .. } => "oncall",
            Command::Page(_) => "page",
            Command::Set { .. } => "set",
            Command::Report { .. } => "report",
            Command::RecordAction { .. } => "action",
            Command::Search { .. } => "search",
            Command::Similar => "similar",
        }
    }
}

/// A word of the input and the text from its start to the end (for free text).
struct Words<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Words<'a> {
    fn new(text: &'a str) -> Words<'a> {
        Words { text, pos: 0 }
    }

    /// Skips white space; the rest of the input, or `None` when nothing is left.
    fn rest(&mut self) -> Option<&'a str> {
        let rest = self.text[self.pos..].trim_start();
        self.pos = self.text.len() - rest.len();
        let rest = rest.trim_end();
        (!rest.is_empty()).then_some(rest)
    }

    /// The next word without consuming it.
    fn peek(&mut self) -> Option<&'a str> {
        let rest = self.rest()?;
        Some(rest.split(char::is_whitespace).next().unwrap_or(rest))
    }

    fn next_word(&mut self) -> Option<&'a str> {
        let word = self.peek()?;
        self.pos += word.len();
        Some(word)
    }
}

/// Korean command words, accepted in every locale: `/incident 선언 sev1 결제 장애`.
pub const KOREAN_ALIASES: [(&str, &str); 8] = [
    ("선언", "declare"),
    ("업데이트", "update"),
    ("상태", "status"),
    ("심각도", "severity"),
    ("해결", "resolve"),
    ("회고", "retro"),
    ("도움말", "help"),
    ("목록", "list"),
];

/// The English command word for `word` (a Korean alias or the word itself).
fn canonical(word: &str) -> &str {
    KOREAN_ALIASES.iter().find(|(alias, _)| *alias == word).map_or(word, |(_, english)| english)
}

/// Parses the text after `/incident`.
pub fn parse(text: &str, policy: &Policy) -> Result<Command, GrammarError> {
    let mut words = Words::new(text);
    let Some(word) = words.next_word() else {
        return Ok(Command::Help);
    };
    let command = match canonical(&word.to_lowercase()) {
        "help" => no_more(&mut words, "help", Command::Help)?,
        "declare" => Command::Declare(parse_declare(&mut words, policy)?),
        "list" => no_more(&mut words, "list", Command::List)?,
        "stats" => parse_stats(&mut words)?,
        "dashboard" => no_more(&mut words, "dashboard", Command::Dashboard)?,
        "change" => parse_change(&mut words, policy)?,
        "update" => Command::Update(words.rest().map(str::to_owned)),
        "status" => parse_status(&mut words)?,
        "severity" | "sev" => parse_severity(&mut words, policy)?,
        "lead" => Command::Lead(expect_user(&mut words, Usage::Lead)?),
        "page" => Command::Page(expect_user(&mut words, Usage::Page)?),
        "set" => {
            let field = words.next_word().ok_or(GrammarError::MissingArgument { usage: Usage::Set })?.to_owned();
            let value = expect_text(&mut words, Usage::Set)?;
            Command::Set { field, value }
        }
        "action" => {
            let kind = words.next_word().ok_or(GrammarError::MissingArgument { usage: Usage::Action })?.to_owned();
            Command::RecordAction { kind, text: words.rest().map(str::to_owned) }
        }
        "role" => parse_role(&mut words, policy)?,
        "title" => Command::Title(expect_text(&mut words, Usage::Title)?),
        "impact" => Command::Impact(expect_text(&mut words, Usage::Impact)?),
        "service" => parse_service(&mut words, policy)?,
        "note" => Command::Note(expect_text(&mut words, Usage::Note)?),
        "followup" => Command::Followup(parse_followup(&mut words)?),
        "followups" => no_more(&mut words, "followups", Command::Followups)?,
        "resolve" => Command::Resolve(words.rest().map(str::to_owned)),
        "retro" => no_more(&mut words, "retro", Command::Retro)?,
        "report" => parse_report(&mut words)?,
        "close" => no_more(&mut words, "close", Command::Close)?,
        "oncall" => parse_oncall(&mut words, policy)?,
        "search" => parse_search(&mut words, policy)?,
        "similar" => no_more(&mut words, "similar", Command::Similar)?,
        _ => {
            return Err(GrammarError::UnknownCommand { word: word.to_owned() });
        }
    };
    Ok(command)
}

/// `search TEXT [service:NAME]`: the `service:` word may stand anywhere; the rest is the text.
fn parse_search(words: &mut Words<'_>, policy: &Policy) -> Result<Command, GrammarError> {
    let mut service = None;
    let mut text: Vec<&str> = Vec::new();
    while let Some(word) = words.next_word() {
        match service_option(word, policy) {
            Some(found) => service = Some(found?),
            None => text.push(word),
        }
    }
    if text.is_empty() {
        return Err(GrammarError::MissingArgument { usage: Usage::Search });
    }
    Ok(Command::Search { text: text.join(" "), service })
}

/// The usage line of `report`.
const REPORT_USAGE: &str = "report [NAME] [final]";

/// `report [NAME] [final]`: a name (any word but `final`), then `final`, both optional.
fn parse_report(words: &mut Words<'_>) -> Result<Command, GrammarError> {
    let mut name = None;
    let mut final_ = false;
    while let Some(word) = words.next_word() {
        let lower = word.to_lowercase();
        if lower == "final" && !final_ {
            final_ = true;
        } else if name.is_none() && !final_ {
            name = Some(lower);
        } else {
            let rest = words.rest().map_or_else(|| word.to_owned(), |rest| format!("{word} {rest}"));
            return Err(GrammarError::UnexpectedWords { usage: Usage::Simple(REPORT_USAGE), words: rest });
        }
    }
    Ok(Command::Report { name, final_ })
}

/// The usage line of `oncall override`.
const OVERRIDE_USAGE: &str = "oncall override @user [service:NAME] [for DURATION]";

/// `oncall [service:NAME]`, or `oncall override @user [service:NAME] [for DURATION]`.
fn parse_oncall(words: &mut Words<'_>, policy: &Policy) -> Result<Command, GrammarError> {
    let Some(word) = words.peek() else { return Ok(Command::OnCall(None)) };
    if word.eq_ignore_ascii_case("override") {
        words.next_word();
        return parse_override(words, policy);
    }
    match service_option(word, policy) {
        Some(service) => {
            words.next_word();
            no_more(words, "oncall [service:NAME]", Command::OnCall(Some(service?)))
        }
        None => no_more(words, "oncall [service:NAME]", Command::OnCall(None)),
    }
}

fn parse_override(words: &mut Words<'_>, policy: &Policy) -> Result<Command, GrammarError> {
    let usage = Usage::Simple(OVERRIDE_USAGE);
    let word = words.next_word().ok_or(GrammarError::MissingArgument { usage })?;
    let user = UserId::parse(word).ok_or_else(|| GrammarError::ExpectedUser { usage, got: word.to_owned() })?;
    let mut service = None;
    let mut lasting = None;
    while let Some(word) = words.next_word() {
        if let Some(named) = service_option(word, policy).filter(|_| service.is_none()) {
            service = Some(named?);
        } else if word.eq_ignore_ascii_case("for") && lasting.is_none() {
            let amount = words.next_word().ok_or(GrammarError::MissingArgument { usage })?;
            let parsed = humantime::parse_duration(amount).ok().filter(|d| !d.is_zero());
            lasting = Some(parsed.ok_or_else(|| GrammarError::UnexpectedWords { usage, words: amount.to_owned() })?);
        } else {
            let rest = words.rest().map_or_else(|| word.to_owned(), |rest| format!("{word} {rest}"));
            return Err(GrammarError::UnexpectedWords { usage, words: rest });
        }
    }
    Ok(Command::OnCallOverride { user, service, lasting })
}

fn no_more(words: &mut Words<'_>, usage: &'static str, command: Command) -> Result<Command, GrammarError> {
    match words.rest() {
        None => Ok(command),
        Some(extra) => Err(GrammarError::UnexpectedWords { usage: Usage::Simple(usage), words: extra.to_owned() }),
    }
}

fn expect_text(words: &mut Words<'_>, usage: Usage) -> Result<String, GrammarError> {
    words.rest().map(str::to_owned).ok_or(GrammarError::MissingArgument { usage })
}

fn expect_user(words: &mut Words<'_>, usage: Usage) -> Result<UserId, GrammarError> {
    let word = words.next_word().ok_or(GrammarError::MissingArgument { usage })?;
    let user = UserId::parse(word).ok_or_else(|| GrammarError::ExpectedUser { usage, got: word.to_owned() })?;
    match words.rest() {
        None => Ok(user),
        Some(extra) => Err(GrammarError::UnexpectedWords { usage, words: extra.to_owned() }),
    }
}

/// `sev` followed by digits: a word the user meant as a severity even when the policy lacks it.
fn looks_like_severity(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    lower.strip_prefix("sev").is_some_and(|digits| !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()))
}

pub(crate) fn severity_named(word: &str, policy: &Policy) -> Option<SeverityName> {
    policy.severity(word).map(|s| s.name.clone())
}

/// `service:NAME` → the policy's service, an error for an unknown one, `None` for other words.
fn service_option(word: &str, policy: &Policy) -> Option<Result<ServiceName, GrammarError>> {
    let (prefix, name) = word.split_once(':')?;
    if !prefix.eq_ignore_ascii_case("service") {
        return None;
    }
    Some(
        policy
            .service(name)
            .map(|s| s.name.clone())
            .ok_or_else(|| GrammarError::UnknownService { word: name.to_owned() }),
    )
}

fn parse_declare(words: &mut Words<'_>, policy: &Policy) -> Result<DeclareOptions, GrammarError> {
    let mut options = DeclareOptions::default();
    while let Some(word) = words.peek() {
        if word.eq_ignore_ascii_case("--private") {
            options.private = true;
        } else if word.eq_ignore_ascii_case("--drill") {
            options.drill = true;
        } else if word.starts_with("--") {
            return Err(GrammarError::UnknownOption { word: word.to_owned() });
        } else if let Some(service) = service_option(word, policy) {
            let service = service?;
            if !options.services.contains(&service) {
                options.services.push(service);
            }
        } else if let Some(severity) = severity_named(word, policy) {
            if options.severity.is_some() {
                return Err(GrammarError::RepeatedSeverity);
            }
            options.severity = Some(severity);
        } else if looks_like_severity(word) {
            return Err(GrammarError::UnknownSeverity { word: word.to_owned() });
        } else {
            break;
        }
        words.next_word();
    }
    options.title = words.rest().map(str::to_owned);
    Ok(options)
}

/// The usage line of `stats`.
const STATS_USAGE: &str = "stats [7d|30d|90d] [--drills]";

/// `stats [7d|30d|90d] [--drills]`: the window and the flag in either order, each at most once.
/// A word that is neither, where the window may still come, is an unknown window; anything
/// else (a second window, an unknown `--` option) is refused with the usage line.
fn parse_stats(words: &mut Words<'_>) -> Result<Command, GrammarError> {
    let mut window = None;
    let mut drills = false;
    while let Some(word) = words.next_word() {
        let lower = word.to_ascii_lowercase();
        let parsed = match lower.as_str() {
            "30d" => Some(StatsWindow::Days30),
            "7d" => Some(StatsWindow::Days7),
            "90d" => Some(StatsWindow::Days90),
            _ => None,
        };
        match parsed {
            Some(parsed) if window.is_none() => window = Some(parsed),
            None if lower == "--drills" && !drills => drills = true,
            None if window.is_none() && !lower.starts_with("--") => {
                return Err(GrammarError::UnknownStatsWindow { word: lower });
            }
            _ => {
                let rest = words.rest().map_or_else(|| word.to_owned(), |rest| format!("{word} {rest}"));
                return Err(GrammarError::UnexpectedWords { usage: Usage::Stats, words: rest });
            }
        }
    }
    Ok(Command::Stats { window: window.unwrap_or(StatsWindow::Days30), drills })
}

fn parse_change(words: &mut Words<'_>, policy: &Policy) -> Result<Command, GrammarError> {
    let mut services = Vec::new();
    while let Some(word) = words.peek() {
        match service_option(word, policy) {
            Some(service) => {
                let service = service?;
                if !services.contains(&service) {
                    services.push(service);
                }
                words.next_word();
            }
            None => break,
        }
    }
    let mut text = expect_text(words, Usage::Change)?;
    let mut at = None;
    // `service:NAME` and `at:HH:MM` may also trail the text, in any order.
    while let Some((head, last)) = text.rsplit_once(char::is_whitespace) {
        if let Some(service) = service_option(last, policy) {
            let service = service?;
            if !services.contains(&service) {
                services.push(service);
            }
        } else if let Some(time) = last.strip_prefix("at:").or_else(|| last.strip_prefix("AT:")) {
            at = Some(
                NaiveTime::parse_from_str(time, "%H:%M")
                    .map_err(|_| GrammarError::BadTime { word: last.to_owned() })?,
            );
        } else {
            break;
        }
        text = head.trim_end().to_owned();
    }
    Ok(Command::Change { services, text, at })
}

fn parse_status(words: &mut Words<'_>) -> Result<Command, GrammarError> {
    let word = words.next_word().ok_or(GrammarError::MissingArgument { usage: Usage::Status })?;
    let status = IncidentStatus::parse(&word.to_lowercase())
        .filter(|status| status.is_open())
        .ok_or_else(|| GrammarError::UnknownStatus { word: word.to_owned() })?;
    match words.rest() {
        None => Ok(Command::Status(status)),
        Some(extra) => Err(GrammarError::UnexpectedWords { usage: Usage::Status, words: extra.to_owned() }),
    }
}

fn parse_severity(words: &mut Words<'_>, policy: &Policy) -> Result<Command, GrammarError> {
    let word = words.next_word().ok_or(GrammarError::MissingArgument { usage: Usage::Severity })?;
    let severity =
        severity_named(word, policy).ok_or_else(|| GrammarError::UnknownSeverity { word: word.to_owned() })?;
    match words.rest() {
        None => Ok(Command::Severity(severity)),
        Some(extra) => Err(GrammarError::UnexpectedWords { usage: Usage::Severity, words: extra.to_owned() }),
    }
}

fn parse_role(words: &mut Words<'_>, policy: &Policy) -> Result<Command, GrammarError> {
    let word = words.next_word().ok_or(GrammarError::MissingArgument { usage: Usage::Role })?;
    let role = policy.role(word).ok_or_else(|| GrammarError::UnknownRole { word: word.to_owned() })?;
    let user = expect_user(words, Usage::Role)?;
    Ok(Command::Role { role, user })
}

fn parse_service(words: &mut Words<'_>, policy: &Policy) -> Result<Command, GrammarError> {
    let action = words.next_word().ok_or(GrammarError::MissingArgument { usage: Usage::Service })?;
    let name = words.next_word().ok_or(GrammarError::MissingArgument { usage: Usage::Service })?;
    let name = match name.split_once(':') {
        Some((prefix, name)) if prefix.eq_ignore_ascii_case("service") => name,
        _ => name,
    };
    let service = policy
        .service(name)
        .map(|s| s.name.clone())
        .ok_or_else(|| GrammarError::UnknownService { word: name.to_owned() })?;
    if let Some(extra) = words.rest() {
        return Err(GrammarError::UnexpectedWords { usage: Usage::Service, words: extra.to_owned() });
    }
    match action.to_lowercase().as_str() {
        "add" => Ok(Command::ServiceAdd(service)),
        "remove" => Ok(Command::ServiceRemove(service)),
        _ => Err(GrammarError::MissingArgument { usage: Usage::Service }),
    }
}

fn parse_followup(words: &mut Words<'_>) -> Result<FollowupRequest, GrammarError> {
    let group = match words.peek().map(str::to_lowercase).as_deref() {
        Some("prevent") => Some(FollowupGroup::Prevent),
        Some("detect") => Some(FollowupGroup::Detect),
        Some("handle") => Some(FollowupGroup::Handle),
        _ => None,
    };
    if group.is_some() {
        words.next_word();
    }
    let mut text = expect_text(words, Usage::Followup)?;
    let (mut owner, mut due) = (None, None);
    // The owner and the due date are trailing words, in either order.
    for _ in 0..2 {
        let Some((head, last)) = text.rsplit_once(char::is_whitespace) else {
            break;
        };
        if due.is_none()
            && let Some(date) = last.strip_prefix("due:").or_else(|| last.strip_prefix("DUE:"))
        {
            let parsed = NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .map_err(|_| GrammarError::BadDueDate { word: last.to_owned() })?;
            due = Some(parsed);
        } else if owner.is_none()
            && let Some(user) = UserId::parse(last)
        {
            owner = Some(user);
        } else {
            break;
        }
        text = head.trim_end().to_owned();
    }
    Ok(FollowupRequest { group: group.unwrap_or(FollowupGroup::Prevent), text, owner, due })
}

#[cfg(test)]
#[path = "command_tests.rs"]
mod tests;
