//! The retrospective, built by a pure function from what was recorded: the story of the
//! incident, its key times, its timeline, and what to improve — blameless by default.
//!
//! People become roles ("Lead", "Responder 2", in the policy's language) unless the policy
//! says otherwise, including where their mentions appear inside message text. Rendering to Markdown is separate
//! (`render::retro`), so this value is easy to test and fast to build.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::catalog::{Key, Locale, role_name, status_word, text};
use crate::domain::followup::{Followup, FollowupGroup};
use crate::domain::ids::UserId;
use crate::domain::incident::{Incident, IncidentStatus, RoleName, SeverityName};
use crate::domain::record::{StoredMessage, TimelineEvent};
use crate::domain::timeline::{TimelineEntry, TimelineKind};

/// Threads with at least this many replies are summarised as one entry.
pub const BUSY_THREAD: usize = 1;
/// A gap without updates longer than this, in a SEV1 or SEV2, is an open question.
pub const QUIET_GAP_MINUTES: i64 = 30;

/// Everything the builder reads.
pub struct Gathered<'a> {
    pub incident: &'a Incident,
    pub timeline: &'a [TimelineEvent],
    pub messages: &'a [StoredMessage],
    pub followups: &'a [Followup],
    pub roles: &'a [(RoleName, UserId)],
    /// Display names, used only when not blameless.
    pub names: &'a HashMap<UserId, String>,
    pub blameless: bool,
    /// The two most severe severities (gaps there are questions), most severe first.
    pub serious: &'a [SeverityName],
    /// `https://acme.slack.com/`, for permalinks.
    pub workspace_url: Option<&'a str>,
    /// The language people, roles and statuses are named in.
    pub locale: Locale,
}

/// How a person is shown.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Person {
    Lead,
    Reporter,
    /// A role from the incident (`comms`, `scribe`, a policy role).
    Role(String),
    /// Anyone else, numbered by first appearance.
    Responder(usize),
    /// A real name (only when not blameless).
    Named(String),
}

/// The moments that measure a response.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyTimes {
    pub started: Option<DateTime<Utc>>,
    pub detected: Option<DateTime<Utc>>,
    pub declared: Option<DateTime<Utc>>,
    pub acknowledged: Option<DateTime<Utc>>,
    pub mitigated: Option<DateTime<Utc>>,
    pub resolved: Option<DateTime<Utc>>,
}

/// What a timeline line is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// A timeline event of this kind with its details.
    Event { kind: TimelineKind, detail: String },
    /// A timeline entry this version cannot read (its stored kind): shown, so nothing
    /// recorded is silently missing from the document.
    Unknown { kind: String },
    /// A highlighted message.
    Highlight { text: Option<String> },
    /// A top-level message; `highlighted` when it was pinned or 📌 (marked in the timeline,
    /// and listed in the Highlights section as well).
    Message { text: Option<String>, edited: bool, deleted: bool, files: i64, highlighted: bool },
    /// A thread, summarised at its parent's time.
    Thread { replies: usize, people: usize, first: Option<String> },
}

/// One line of the timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub who: Option<Person>,
    pub line: Line,
    pub permalink: Option<String>,
}

/// The phases the narrative is told in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Detection,
    Diagnosis,
    Mitigation,
    Recovery,
}

/// A question for the review meeting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Question {
    QuietGap { from: DateTime<Utc>, to: DateTime<Utc> },
    FollowupWithoutOwner { id: i64, text: String },
    MissingImpact,
}

/// A participant and how much they wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Participant {
    pub who: Person,
    pub messages: usize,
}

/// The whole document, before rendering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retrospective {
    pub number: i64,
    pub title: String,
    pub severity: SeverityName,
    /// Every severity it had, with when it took it.
    pub severity_history: Vec<(DateTime<Utc>, SeverityName)>,
    pub services: Vec<String>,
    pub impact: Option<String>,
    pub lead: Option<Person>,
    pub status: IncidentStatus,
    pub times: KeyTimes,
    pub timeline: Vec<Entry>,
    /// The narrative: per phase, the entries (indexes into `timeline`) that tell it.
    pub narrative: Vec<(Phase, Vec<usize>)>,
    pub followups: Vec<(FollowupGroup, Vec<Followup>)>,
    pub questions: Vec<Question>,
    pub participants: Vec<Participant>,
    /// Who is who (for turning mentions into labels when rendering follow-up owners).
    pub people: HashMap<UserId, Person>,
}

/// Labels people consistently across the document.
struct People<'a> {
    gathered: &'a Gathered<'a>,
    known: HashMap<UserId, Person>,
    next_responder: usize,
}

impl<'a> People<'a> {
    fn new(gathered: &'a Gathered<'a>) -> People<'a> {
        let mut known = HashMap::new();
        if gathered.blameless {
            known.insert(gathered.incident.reporter.clone(), Person::Reporter);
            for (role, user) in gathered.roles {
                known.entry(user.clone()).or_insert_with(|| Person::Role(role.as_str().to_owned()));
            }
            if let Some(lead) = &gathered.incident.lead {
                known.insert(lead.clone(), Person::Lead);
            }
        }
        People { gathered, known, next_responder: 1 }
    }

    fn of(&mut self, user: &UserId) -> Person {
        if let Some(person) = self.known.get(user) {
            return person.clone();
        }
        let person = if self.gathered.blameless {
            let n = self.next_responder;
            self.next_responder += 1;
            Person::Responder(n)
        } else {
            Person::Named(self.gathered.names.get(user).cloned().unwrap_or_else(|| user.to_string()))
        };
        self.known.insert(user.clone(), person.clone());
        person
    }

    /// Text with every `<@U…>` mention replaced by its person's label, and every special
    /// mention (`<!channel>`, `<!here>`, `<!subteam^…>`) by the words Slack shows for it: a
    /// document must not ping anyone wherever it is pasted or published.
    fn scrub(&mut self, text: &str) -> String {
        let text = special_mentions_as_words(text);
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(start) = rest.find("<@") {
            out.push_str(&rest[..start]);
            let after = &rest[start..];
            match after.find('>').and_then(|end| UserId::parse(&after[..=end]).map(|u| (u, end))) {
                Some((user, end)) => {
                    out.push('@');
                    out.push_str(&label(&self.of(&user), self.gathered.locale));
                    rest = &after[end + 1..];
                }
                None => {
                    out.push_str("<@");
                    rest = &after[2..];
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// `<!channel>` → `@channel`, `<!subteam^S1|@oncall>` → `@oncall`, `<!date^…|fallback>` → its
/// fallback: what Slack displays, without the ping.
fn special_mentions_as_words(text: &str) -> String {
    crate::domain::text::rewrite_special_mentions(text, |key, label| {
        Some(match key {
            "channel" | "here" | "everyone" => format!("@{key}"),
            "subteam" => format!("@{}", label.unwrap_or("group")),
            _ => label.unwrap_or(key).to_owned(),
        })
    })
}

/// A person's label in `locale` ("Lead", "Responder 2", "리드").
pub fn label(person: &Person, locale: Locale) -> String {
    match person {
        Person::Lead => text(locale, Key::RetroPersonLead).as_str().to_owned(),
        Person::Reporter => text(locale, Key::RetroPersonReporter).as_str().to_owned(),
        Person::Role(role) => {
            let name = role_name(locale, role);
            let mut chars = name.chars();
            chars.next().map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
        }
        Person::Responder(n) => text(locale, Key::RetroPersonResponder).fill(&[("n", &n.to_string())]),
        Person::Named(name) => name.clone(),
    }
}

pub(crate) fn permalink(workspace: Option<&str>, channel: &str, ts: &str) -> Option<String> {
    workspace.map(|url| format!("{}/archives/{channel}/p{}", url.trim_end_matches('/'), ts.replace('.', "")))
}

fn is_status_update(entry: &TimelineEntry) -> bool {
    matches!(
        entry,
        TimelineEntry::Declared { .. }
            | TimelineEntry::Update { .. }
            | TimelineEntry::StatusChanged { .. }
            | TimelineEntry::Reopened { .. }
            | TimelineEntry::SeverityChanged { .. }
    )
}

/// Builds the retrospective. Linear in the number of messages and events.
pub fn build(gathered: &Gathered<'_>) -> Retrospective {
    let incident = gathered.incident;
    let mut people = People::new(gathered);
    let channel = incident.channel.as_ref().map(|c| c.to_string()).unwrap_or_default();
    let workspace = gathered.workspace_url;

    let mut timeline: Vec<Entry> = Vec::with_capacity(gathered.timeline.len() + gathered.messages.len() / 2);
    let by_ts: HashMap<&str, &StoredMessage> = gathered.messages.iter().map(|m| (m.ts.as_str(), m)).collect();
    // A message highlighted twice (a 📌 and a pin) is one highlight.
    let mut highlighted: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for event in gathered.timeline {
        if let TimelineEntry::Highlight { ts, .. } = &event.entry
            && !highlighted.insert(ts.as_str())
        {
            continue;
        }
        let who = event.author.as_deref().and_then(UserId::parse).map(|u| people.of(&u));
        let entry = if let TimelineEntry::Highlight { ts, .. } = &event.entry {
            let text = by_ts.get(ts.as_str()).and_then(|m| m.text.as_deref()).map(|t| people.scrub(t));
            Entry { at: event.at, who, line: Line::Highlight { text }, permalink: permalink(workspace, &channel, ts) }
        } else {
            let line = match event.entry.kind() {
                Ok(kind) => Line::Event { kind, detail: event_detail(&event.entry, &mut people) },
                Err(unknown) => Line::Unknown { kind: unknown.to_owned() },
            };
            Entry { at: event.at, who, line, permalink: None }
        };
        timeline.push(entry);
    }
    // Threads: replies grouped under their parent.
    let mut threads: HashMap<&str, (usize, Vec<&UserId>)> = HashMap::new();
    for reply in gathered.messages.iter().filter(|m| m.thread_ts.is_some()) {
        let slot = threads.entry(reply.thread_ts.as_deref().unwrap_or_default()).or_default();
        slot.0 += 1;
        if let Some(user) = &reply.user
            && !slot.1.contains(&user)
        {
            slot.1.push(user);
        }
    }
    let mut counts: HashMap<UserId, usize> = HashMap::new();
    for message in gathered.messages {
        if let Some(user) = &message.user {
            *counts.entry(user.clone()).or_default() += 1;
        }
        if message.thread_ts.is_some() {
            continue;
        }
        let who = message.user.as_ref().map(|u| people.of(u));
        let text = message.text.as_deref().map(|t| people.scrub(t));
        timeline.push(Entry {
            at: message.posted_at,
            who: who.clone(),
            line: Line::Message {
                text: text.clone(),
                edited: message.edited,
                deleted: message.deleted,
                files: message.file_count,
                highlighted: highlighted.contains(message.ts.as_str()),
            },
            permalink: permalink(workspace, &channel, &message.ts),
        });
        if let Some((replies, repliers)) = threads.get(message.ts.as_str())
            && *replies >= BUSY_THREAD
        {
            let first = text.map(|t| t.chars().take(120).collect());
            timeline.push(Entry {
                at: message.posted_at,
                who,
                line: Line::Thread { replies: *replies, people: repliers.len(), first },
                permalink: permalink(workspace, &channel, &message.ts),
            });
        }
    }
    // Stable: events before messages at the same instant, in recorded order.
    timeline.sort_by_key(|e| e.at);

    let times = key_times(incident, gathered.timeline);
    let identified = gathered
        .timeline
        .iter()
        .filter(|e| matches!(e.entry, TimelineEntry::StatusChanged { to: IncidentStatus::Identified, .. }))
        .map(|e| e.at)
        .min();
    let narrative = narrative(&timeline, &times, identified);
    let mut participants: Vec<Participant> =
        counts.into_iter().map(|(user, messages)| Participant { who: people.of(&user), messages }).collect();
    participants.sort_by(|a, b| b.messages.cmp(&a.messages).then_with(|| a.who.cmp(&b.who)));

    let mut severity_history = vec![(incident.declared_at, first_severity(incident, gathered.timeline))];
    for event in gathered.timeline {
        if let TimelineEntry::SeverityChanged { to, .. } = &event.entry {
            severity_history.push((event.at, to.clone()));
        }
    }
    let followups = FollowupGroup::ALL
        .into_iter()
        .map(|group| {
            let items = gathered
                .followups
                .iter()
                .filter(|f| f.group == group)
                .map(|f| Followup { text: people.scrub(&f.text), ..f.clone() })
                .collect();
            (group, items)
        })
        .collect();
    let questions = questions(gathered)
        .into_iter()
        .map(|question| match question {
            Question::FollowupWithoutOwner { id, text } => {
                Question::FollowupWithoutOwner { id, text: people.scrub(&text) }
            }
            other => other,
        })
        .collect();
    let lead = incident.lead.as_ref().map(|u| people.of(u));
    let title = people.scrub(&incident.title);
    let impact = incident.impact.as_deref().map(|impact| people.scrub(impact));
    Retrospective {
        number: incident.number.0,
        title,
        severity: incident.severity.clone(),
        severity_history,
        services: incident.services.iter().map(|s| s.to_string()).collect(),
        impact,
        lead,
        status: incident.status,
        times,
        timeline,
        narrative,
        followups,
        questions,
        participants,
        people: people.known,
    }
}

fn first_severity(incident: &Incident, timeline: &[TimelineEvent]) -> SeverityName {
    timeline
        .iter()
        .find_map(|e| match &e.entry {
            TimelineEntry::Declared { severity, .. } => Some(severity.clone()),
            _ => None,
        })
        .unwrap_or_else(|| incident.severity.clone())
}

/// What an event line says after its kind's words ("SEV2", "investigating → identified").
fn event_detail(entry: &TimelineEntry, people: &mut People<'_>) -> String {
    let locale = people.gathered.locale;
    let status = |status: IncidentStatus| status_word(locale, status).to_owned();
    match entry {
        TimelineEntry::Update { text, .. } | TimelineEntry::Note { text } => people.scrub(text),
        TimelineEntry::StatusChanged { from, to } => format!("{} → {}", status(*from), status(*to)),
        TimelineEntry::SeverityChanged { from, to, .. } => format!("{from} → {to}"),
        TimelineEntry::Reopened { to } => status(*to),
        TimelineEntry::RoleAssigned { role, user } => {
            let user = label(&people.of(user), locale);
            format!("{}: {user}", role_name(locale, role.as_str()))
        }
        TimelineEntry::TitleChanged { title } => people.scrub(title),
        TimelineEntry::ImpactChanged { impact } => people.scrub(impact),
        TimelineEntry::ServiceAdded { service } | TimelineEntry::ServiceRemoved { service } => service.to_string(),
        TimelineEntry::Resolved { summary, .. } => people.scrub(summary.as_deref().unwrap_or_default()),
        TimelineEntry::Declared { severity, rule: None, .. } => severity.to_string(),
        TimelineEntry::Declared { severity, rule: Some(rule), .. } => text(locale, Key::RetroDeclaredByRule)
            .fill_trusted(&[("severity", severity.as_str()), ("rule", &rule.matchers), ("source", &rule.source)]),
        TimelineEntry::FollowupAdded { text, .. } | TimelineEntry::FollowupDone { text, .. } => people.scrub(text),
        // Alert titles come from monitoring and may carry mentions too.
        TimelineEntry::Alert { title, .. } | TimelineEntry::AlertResolved { title, .. } => people.scrub(title),
        TimelineEntry::Paged { user, .. } | TimelineEntry::PageAcknowledged { user } => label(&people.of(user), locale),
        TimelineEntry::PagesUnanswered { levels } => levels.to_string(),
        TimelineEntry::FieldSet { field, value } => format!("{field} = {}", people.scrub(value)),
        TimelineEntry::ResponseAction { action, text } => match text {
            Some(text) => format!("{action}: {}", people.scrub(text)),
            None => action.clone(),
        },
        // Highlights are `Line::Highlight` and unknown entries `Line::Unknown`: no detail here.
        TimelineEntry::Closed {}
        | TimelineEntry::ReminderSnoozed { .. }
        | TimelineEntry::Highlight { .. }
        | TimelineEntry::Unknown { .. } => String::new(),
    }
}

fn key_times(incident: &Incident, timeline: &[TimelineEvent]) -> KeyTimes {
    let first = |pred: &dyn Fn(&TimelineEntry) -> bool| timeline.iter().filter(|e| pred(&e.entry)).map(|e| e.at).min();
    let alert = first(&|e| matches!(e, TimelineEntry::Alert { .. }));
    let acknowledged = first(&|e| match e {
        TimelineEntry::Update { .. } | TimelineEntry::StatusChanged { .. } => true,
        TimelineEntry::RoleAssigned { role, .. } => role.as_str() == "lead",
        _ => false,
    });
    let mitigated = first(&|e| {
        matches!(
            e,
            TimelineEntry::StatusChanged { to: IncidentStatus::Monitoring, .. }
                | TimelineEntry::Update { status: Some(IncidentStatus::Monitoring), .. }
        )
    });
    let resolved = matches!(incident.status, IncidentStatus::Resolved | IncidentStatus::Closed)
        .then(|| resolved_at(timeline))
        .flatten();
    KeyTimes {
        started: alert.map(|a| a.min(incident.declared_at)).or(Some(incident.declared_at)),
        detected: alert.or(Some(incident.declared_at)),
        declared: Some(incident.declared_at),
        acknowledged,
        mitigated,
        resolved,
    }
}

/// When the incident was last resolved (it may have been reopened and resolved again).
fn resolved_at(timeline: &[TimelineEvent]) -> Option<DateTime<Utc>> {
    timeline.iter().filter(|e| matches!(e.entry, TimelineEntry::Resolved { .. })).map(|e| e.at).max()
}

/// Sorts the story's entries into phases: detection until declared, diagnosis until the cause
/// is identified, mitigation until monitoring, recovery after.
fn narrative(timeline: &[Entry], times: &KeyTimes, identified: Option<DateTime<Utc>>) -> Vec<(Phase, Vec<usize>)> {
    let mut phases: Vec<(Phase, Vec<usize>)> = [Phase::Detection, Phase::Diagnosis, Phase::Mitigation, Phase::Recovery]
        .into_iter()
        .map(|p| (p, Vec::new()))
        .collect();
    let declared = times.declared.unwrap_or(DateTime::<Utc>::MIN_UTC);
    for (index, entry) in timeline.iter().enumerate() {
        let story = match &entry.line {
            Line::Event { kind, .. } => !matches!(
                kind,
                TimelineKind::ReminderSnoozed | TimelineKind::FollowupAdded | TimelineKind::FollowupDone
            ),
            // An entry nobody can read may still be part of the story: shown, not dropped.
            Line::Highlight { .. } | Line::Unknown { .. } => true,
            Line::Message { .. } | Line::Thread { .. } => false,
        };
        if !story {
            continue;
        }
        let phase = if entry.at <= declared {
            Phase::Detection
        } else if times.mitigated.is_some_and(|m| entry.at >= m) {
            Phase::Recovery
        } else if identified.is_some_and(|i| entry.at >= i) {
            Phase::Mitigation
        } else {
            Phase::Diagnosis
        };
        if let Some((_, entries)) = phases.iter_mut().find(|(p, _)| *p == phase) {
            entries.push(index);
        }
    }
    phases
}

fn questions(gathered: &Gathered<'_>) -> Vec<Question> {
    let incident = gathered.incident;
    let mut out = Vec::new();
    let serious = gathered.serious.contains(&incident.severity)
        || gathered
            .timeline
            .iter()
            .any(|e| matches!(&e.entry, TimelineEntry::SeverityChanged { to, .. } if gathered.serious.contains(to)));
    if serious {
        let end = resolved_at(gathered.timeline);
        let mut updates: Vec<DateTime<Utc>> =
            gathered.timeline.iter().filter(|e| is_status_update(&e.entry)).map(|e| e.at).collect();
        updates.extend(end);
        updates.sort();
        for pair in updates.windows(2) {
            if (pair[1] - pair[0]).num_minutes() > QUIET_GAP_MINUTES {
                out.push(Question::QuietGap { from: pair[0], to: pair[1] });
            }
        }
    }
    for followup in gathered.followups.iter().filter(|f| f.owner.is_none()) {
        out.push(Question::FollowupWithoutOwner { id: followup.id, text: followup.text.clone() });
    }
    if incident.impact.as_deref().is_none_or(|i| i.trim().is_empty()) {
        out.push(Question::MissingImpact);
    }
    out
}

#[cfg(test)]
#[path = "retrospective_tests.rs"]
mod tests;
