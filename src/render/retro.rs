//! The retrospective as Markdown, in the policy's language.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use super::followups::group_label;
use super::lifecycle::duration_in;
use crate::catalog::{Key, Locale, text};
use crate::domain::policy::Policy;
use crate::domain::retrospective::{Entry, Line, Person, Phase, Question, Retrospective, label};
use crate::domain::timeline::TimelineKind;

/// One line of text: Markdown line breaks and stray markup from messages are flattened.
fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ").replace('|', "\\|")
}

fn person(locale: Locale, who: &Person) -> String {
    label(who, locale)
}

/// The words an event line of `kind` starts with; its detail fills them in.
fn kind_key(kind: TimelineKind) -> Key {
    match kind {
        TimelineKind::Declared => Key::RetroKindDeclared,
        TimelineKind::Update => Key::RetroKindUpdate,
        TimelineKind::StatusChanged => Key::RetroKindStatusChanged,
        TimelineKind::SeverityChanged => Key::RetroKindSeverityChanged,
        TimelineKind::Reopened => Key::RetroKindReopened,
        TimelineKind::RoleAssigned => Key::RetroKindRoleAssigned,
        TimelineKind::TitleChanged => Key::RetroKindTitleChanged,
        TimelineKind::ImpactChanged => Key::RetroKindImpactChanged,
        TimelineKind::ServiceAdded => Key::RetroKindServiceAdded,
        TimelineKind::ServiceRemoved => Key::RetroKindServiceRemoved,
        TimelineKind::Note => Key::RetroKindNote,
        TimelineKind::Resolved => Key::RetroKindResolved,
        TimelineKind::Closed => Key::RetroKindClosed,
        TimelineKind::FollowupAdded => Key::RetroKindFollowupAdded,
        TimelineKind::FollowupDone => Key::RetroKindFollowupDone,
        TimelineKind::ReminderSnoozed => Key::RetroKindReminderSnoozed,
        TimelineKind::Alert => Key::RetroKindAlert,
        TimelineKind::AlertResolved => Key::RetroKindAlertResolved,
        // The builder makes highlights `Line::Highlight` (with the message's text); an event
        // line of this kind would have only its detail to say.
        TimelineKind::Highlight => Key::RetroKindOther,
        TimelineKind::Paged => Key::RetroKindPaged,
        TimelineKind::PageAcknowledged => Key::RetroKindPageAcknowledged,
        TimelineKind::PagesUnanswered => Key::RetroKindPagesUnanswered,
        TimelineKind::FieldSet => Key::RetroKindFieldSet,
        TimelineKind::ResponseAction => Key::RetroKindResponseAction,
    }
}

/// What an entry says, without its time.
pub(crate) fn describe(locale: Locale, entry: &Entry) -> String {
    let t = |key| text(locale, key);
    match &entry.line {
        Line::Event { kind, detail } => t(kind_key(*kind)).fill_trusted(&[("detail", &one_line(detail))]),
        Line::Unknown { kind } => t(Key::RetroUnknownEntry).fill_trusted(&[("kind", &one_line(kind))]),
        Line::Highlight { text: body } => {
            t(Key::RetroHighlight).fill_trusted(&[("text", &one_line(body.as_deref().unwrap_or("…")))])
        }
        Line::Message { text: body, edited, deleted, files, highlighted } => {
            let mut out = if *deleted {
                t(Key::RetroDeleted).as_str().to_owned()
            } else {
                one_line(body.as_deref().unwrap_or_default())
            };
            if *edited && !deleted {
                out.push(' ');
                out.push_str(t(Key::RetroEdited).as_str());
            }
            if *files > 0 {
                out.push_str(&format!(" ({})", t(Key::RetroFiles).fill(&[("count", &files.to_string())])));
            }
            // Marked where it happened, and listed again under Highlights.
            if *highlighted {
                out = t(Key::RetroHighlight).fill_trusted(&[("text", &out)]);
            }
            out
        }
        Line::Thread { replies, people, first } => t(Key::RetroThread).fill_trusted(&[
            ("replies", &replies.to_string()),
            ("people", &people.to_string()),
            ("first", &one_line(first.as_deref().unwrap_or_default())),
        ]),
    }
}

/// Renders the whole document.
pub fn markdown(retro: &Retrospective, policy: &Policy) -> String {
    let locale = policy.locale;
    let t = |key| text(locale, key);
    let local = |at: DateTime<Utc>| super::time::moment(at, policy);
    let clock = |at: DateTime<Utc>| super::time::clock(at, policy);
    let mut out = String::with_capacity(256 + retro.timeline.len() * 96);
    let _ = writeln!(
        out,
        "{}\n",
        t(Key::RetroHeading).fill_trusted(&[("number", &retro.number.to_string()), ("title", &one_line(&retro.title))])
    );
    if retro.people.values().all(|p| !matches!(p, Person::Named(_))) {
        let _ = writeln!(out, "{}\n", t(Key::RetroBlamelessNote).as_str());
    }

    let _ = writeln!(out, "{}\n", t(Key::RetroSummary).as_str());
    let history: Vec<String> = retro.severity_history.iter().map(|(at, s)| format!("{s} ({})", clock(*at))).collect();
    let severity = if history.len() > 1 {
        format!("{} — {}: {}", retro.severity, t(Key::RetroSeverityHistory).as_str(), history.join(" → "))
    } else {
        retro.severity.to_string()
    };
    let field = |key| t(key).as_str().to_owned();
    let none = t(Key::RetroNotYet).as_str();
    let _ = writeln!(out, "- **{}**: {severity}", field(Key::FieldSeverity));
    let services = if retro.services.is_empty() { none.to_owned() } else { retro.services.join(", ") };
    let _ = writeln!(out, "- **{}**: {services}", field(Key::FieldServices));
    let _ = writeln!(
        out,
        "- **{}**: {}",
        field(Key::FieldImpact),
        retro.impact.as_deref().map_or(none.to_owned(), one_line)
    );
    let _ = writeln!(
        out,
        "- **{}**: {}",
        field(Key::FieldLead),
        retro.lead.as_ref().map_or(none.to_owned(), |p| person(locale, p))
    );
    let _ = writeln!(out, "- **{}**: {}", field(Key::FieldStatus), super::status_word(locale, retro.status));
    if let (Some(declared), Some(resolved)) = (retro.times.declared, retro.times.resolved) {
        let _ = writeln!(out, "- **{}**: {}", field(Key::RetroDuration), duration_in(locale, resolved - declared));
    }

    let _ = writeln!(out, "\n{}\n", t(Key::RetroKeyTimes).as_str());
    let times = &retro.times;
    for (key, at) in [
        (Key::RetroStarted, times.started),
        (Key::RetroDetected, times.detected),
        (Key::RetroDeclared, times.declared),
        (Key::RetroAcknowledged, times.acknowledged),
        (Key::RetroMitigated, times.mitigated),
        (Key::RetroResolved, times.resolved),
    ] {
        let _ = writeln!(out, "- **{}**: {}", field(key), at.map_or(none.to_owned(), local));
    }
    let between = |from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>| match (from, to) {
        (Some(from), Some(to)) => duration_in(locale, to - from),
        _ => none.to_owned(),
    };
    let _ = writeln!(out, "- **{}**: {}", field(Key::RetroToDetect), between(times.started, times.detected));
    let _ = writeln!(out, "- **{}**: {}", field(Key::RetroToAcknowledge), between(times.declared, times.acknowledged));
    let _ = writeln!(out, "- **{}**: {}", field(Key::RetroToMitigate), between(times.declared, times.mitigated));
    let _ = writeln!(out, "- **{}**: {}", field(Key::RetroToResolve), between(times.declared, times.resolved));

    let _ = writeln!(out, "\n{}\n\n{}", t(Key::RetroStory).as_str(), t(Key::RetroStoryDraft).as_str());
    for (phase, entries) in &retro.narrative {
        if entries.is_empty() {
            continue;
        }
        let heading = match phase {
            Phase::Detection => Key::RetroPhaseDetection,
            Phase::Diagnosis => Key::RetroPhaseDiagnosis,
            Phase::Mitigation => Key::RetroPhaseMitigation,
            Phase::Recovery => Key::RetroPhaseRecovery,
        };
        let sentences: Vec<String> = entries
            .iter()
            .filter_map(|i| retro.timeline.get(*i))
            .map(|e| {
                let who = e.who.as_ref().map_or_else(String::new, |p| format!("{} — ", person(locale, p)));
                format!("{} {who}{}", clock(e.at), describe(locale, e))
            })
            .collect();
        let _ = writeln!(out, "\n{}\n\n{}.", t(heading).as_str(), sentences.join(t(Key::RetroThen).as_str()));
    }

    // The pinned and 📌 messages, each once, in their own section; the timeline shows each
    // message once, as itself, marked 📌 when it is a highlight.
    let _ = writeln!(out, "\n{}\n", t(Key::RetroHighlights).as_str());
    let highlights: Vec<&Entry> = retro.timeline.iter().filter(|e| matches!(e.line, Line::Highlight { .. })).collect();
    if highlights.is_empty() {
        let _ = writeln!(out, "{}", t(Key::RetroNone).as_str());
    }
    for entry in highlights {
        let who = entry.who.as_ref().map_or_else(String::new, |p| format!(" · {}", person(locale, p)));
        let link =
            entry.permalink.as_ref().map_or_else(String::new, |l| format!(" ([{}]({l}))", t(Key::RetroLink).as_str()));
        let Line::Highlight { text: body } = &entry.line else { continue };
        let _ = writeln!(out, "- {}{who} · {}{link}", clock(entry.at), one_line(body.as_deref().unwrap_or("…")));
    }

    let _ = writeln!(out, "\n{}\n", t(Key::RetroTimeline).as_str());
    for entry in retro.timeline.iter().filter(|e| !matches!(e.line, Line::Highlight { .. })) {
        let who = entry.who.as_ref().map_or_else(String::new, |p| format!(" · {}", person(locale, p)));
        let link =
            entry.permalink.as_ref().map_or_else(String::new, |l| format!(" ([{}]({l}))", t(Key::RetroLink).as_str()));
        let _ = writeln!(out, "- {}{who} · {}{link}", clock(entry.at), describe(locale, entry));
    }

    let _ = writeln!(out, "\n{}", t(Key::RetroFollowups).as_str());
    for (group, items) in &retro.followups {
        let _ = writeln!(out, "\n### {}\n", group_label(locale, *group));
        if items.is_empty() {
            let _ = writeln!(out, "{}", t(Key::RetroNone).as_str());
        }
        for item in items {
            let mark = if item.done_at.is_some() { "x" } else { " " };
            let owner = item.owner.as_ref().map_or_else(String::new, |u| {
                let who = retro.people.get(u).map_or_else(|| u.to_string(), |p| person(locale, p));
                format!(" — {}", t(Key::RetroOwner).fill_trusted(&[("owner", &who)]))
            });
            let due = item.due.map_or_else(String::new, |d| {
                format!(" — {}", t(Key::RetroDue).fill(&[("due", &super::time::date(d, locale))]))
            });
            let _ = writeln!(out, "- [{mark}] #{} {}{owner}{due}", item.id, one_line(&item.text));
        }
    }

    let _ = writeln!(out, "\n{}\n", t(Key::RetroQuestions).as_str());
    if retro.questions.is_empty() {
        let _ = writeln!(out, "{}", t(Key::RetroNone).as_str());
    }
    for question in &retro.questions {
        let line = match question {
            Question::QuietGap { from, to } => t(Key::RetroQGap).fill(&[
                ("from", &clock(*from)),
                ("to", &clock(*to)),
                ("minutes", &(*to - *from).num_minutes().to_string()),
            ]),
            Question::FollowupWithoutOwner { id, text: item } => {
                t(Key::RetroQOwner).fill_trusted(&[("id", &id.to_string()), ("text", &one_line(item))])
            }
            Question::MissingImpact => t(Key::RetroQImpact).as_str().to_owned(),
        };
        let _ = writeln!(out, "- {line}");
    }

    let _ = writeln!(out, "\n{}\n", t(Key::RetroParticipants).as_str());
    if retro.participants.is_empty() {
        let _ = writeln!(out, "{}", t(Key::RetroNone).as_str());
    }
    for participant in &retro.participants {
        let role = participant.who.clone();
        let _ = writeln!(
            out,
            "{}",
            t(Key::RetroParticipant)
                .fill_trusted(&[("who", &person(locale, &role)), ("count", &participant.messages.to_string())])
        );
    }
    out
}

#[cfg(test)]
#[path = "retro_tests.rs"]
mod tests;
