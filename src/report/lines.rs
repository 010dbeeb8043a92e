//! A timeline line in the retrospective's words ("Update: …", "업데이트: …"), for the
//! `timeline` variable.
//!
//! This is the wording of `render::retro`'s `describe`, which is private to that module;
//! once it is `pub(crate)`, this file should go and `context` call it instead. Until then the
//! test below keeps the two from drifting apart (it compares with the retrospective's
//! rendered timeline).

use crate::catalog::{Key, Locale, text};
use crate::domain::retrospective::{Entry, Line};
use crate::domain::timeline::TimelineKind;

/// One line of text: message text with line breaks and table bars flattened, as the
/// retrospective shows it.
fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ").replace('|', "\\|")
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
        TimelineKind::Highlight => Key::RetroKindOther,
        TimelineKind::Paged => Key::RetroKindPaged,
        TimelineKind::PageAcknowledged => Key::RetroKindPageAcknowledged,
        TimelineKind::PagesUnanswered => Key::RetroKindPagesUnanswered,
        TimelineKind::FieldSet => Key::RetroKindFieldSet,
        TimelineKind::ResponseAction => Key::RetroKindResponseAction,
    }
}

/// What a timeline line says, without its time or who.
pub fn describe(locale: Locale, entry: &Entry) -> String {
    let t = |key| text(locale, key);
    match &entry.line {
        Line::Event { kind, detail } => t(kind_key(*kind)).fill_trusted(&[("detail", &one_line(detail))]),
        Line::Unknown { kind } => t(Key::RetroUnknownEntry).fill_trusted(&[("kind", &one_line(kind))]),
        Line::Highlight { text: body } => {
            t(Key::RetroHighlight).fill_trusted(&[("text", &one_line(body.as_deref().unwrap_or("…")))])
        }
        Line::Message { text: body, edited, deleted, files } => {
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
            out
        }
        Line::Thread { replies, people, first } => t(Key::RetroThread).fill_trusted(&[
            ("replies", &replies.to_string()),
            ("people", &people.to_string()),
            ("first", &one_line(first.as_deref().unwrap_or_default())),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use crate::catalog::Locale;
    use crate::config::policy::testing::contract_policy;
    use crate::domain::policy::Policy;
    use crate::domain::retrospective::build;
    use crate::report::context;
    use crate::report::sample::Sample;

    #[test]
    fn every_timeline_line_reads_as_in_the_retrospective() {
        for locale in Locale::ALL {
            let policy = Policy { locale, ..contract_policy() };
            let sample = Sample::new(&policy).unwrap();
            let input = sample.input(&policy);
            let retro = crate::render::retro::markdown(&build(&input.gathered), &policy);
            for line in context::build(&input).timeline {
                assert!(retro.contains(&format!(" · {}", line.text)), "{:?} not in\n{retro}", line.text);
            }
        }
    }
}
