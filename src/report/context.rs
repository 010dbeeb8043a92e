//! The variables a report template sees: exactly the contract's list ("Incident reports" in
//! INTERFACE.md), built by a pure function from the retrospective's view of the record, so a
//! report shows the same people, wording and times as the retrospective.
//!
//! Known values that are absent are `None` (a template's `none`, rendered empty); a name that
//! is not here is an error when rendering. Owns the variables' shapes; must not decide
//! anything about the incident (that is the domain's) nor write Markdown (the templates do).

use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};

use crate::catalog::{Locale, status_word};
use crate::domain::change::PlannedChange;
use crate::domain::fields::FieldKind;
use crate::domain::followup::FollowupGroup;
use crate::domain::ids::UserId;
use crate::domain::policy::Policy;
use crate::domain::record::TimelineEvent;
use crate::domain::retrospective::{self, Entry, Gathered, Line, Person, Retrospective, label};
use crate::domain::timeline::{TimelineEntry, TimelineKind};
use crate::render::lifecycle::duration_in;
use crate::render::retro::describe;

/// What a report is rendered from.
pub struct ReportInput<'a> {
    /// The record, as the retrospective reads it; `blameless` is the policy's
    /// `retro.blameless` unless names were asked for (`--named`).
    pub gathered: Gathered<'a>,
    pub policy: &'a Policy,
    /// The pre-shared changes listed at the declaration.
    pub changes: &'a [PlannedChange],
    /// The incident's custom fields that are set: (field name, value as stored).
    pub fields: &'a [(String, String)],
    pub report: ReportMeta<'a>,
    pub now: DateTime<Utc>,
}

/// Which report is being rendered.
pub struct ReportMeta<'a> {
    /// The `[[reports]]` entry's name.
    pub name: &'a str,
    /// The entry's title, if it has one.
    pub title: Option<&'a str>,
    /// When it is due, if it has a deadline.
    pub due: Option<DateTime<Utc>>,
    /// Published with `final`: the first heading is marked final.
    pub final_: bool,
}

/// Everything a template sees, by the names it sees it under.
#[derive(Debug, Serialize)]
pub struct Context {
    pub incident: IncidentVars,
    pub people: PeopleVars,
    pub times: TimesVars,
    pub durations: DurationsVars,
    /// The earliest response action; `None` when none was recorded.
    pub first_action: Option<FirstActionVars>,
    pub actions: Vec<ActionVars>,
    /// The retrospective's timeline lines, without the highlights (they are `highlights`).
    pub timeline: Vec<LineVars>,
    pub highlights: Vec<HighlightVars>,
    pub updates: Vec<UpdateVars>,
    pub followups: FollowupsVars,
    /// The pre-shared changes listed at the declaration.
    pub changes: Vec<ChangeVars>,
    pub alerts: Vec<AlertVars>,
    pub report: ReportVars,
    /// When the report was rendered.
    pub now: String,
}

/// `incident`.
#[derive(Debug, Serialize)]
pub struct IncidentVars {
    pub number: i64,
    pub title: String,
    /// `SEV1`.
    pub severity: String,
    /// The policy's label for it ("Critical"); `None` for a severity the policy no longer has.
    pub severity_label: Option<String>,
    /// In the policy's language ("해결됨").
    pub status: String,
    pub services: Vec<String>,
    pub impact: Option<String>,
    pub private: bool,
    /// `#inc-…`, or the channel's id when its name is unknown; `None` before it exists.
    pub channel: Option<String>,
    /// A link that opens the channel; `None` before it exists.
    pub link: Option<String>,
    /// `fields.type`.
    #[serde(rename = "type")]
    pub kind: Option<FieldValue>,
    /// Every policy field by name, in policy order (`None` while unset), then any field set
    /// earlier that the policy no longer declares.
    #[serde(serialize_with = "ordered_map")]
    pub fields: Vec<(String, Option<FieldValue>)>,
}

/// A custom field's value: a number field's value is a number (so templates can compare
/// it), anything else the text as stored.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum FieldValue {
    Integer(i64),
    Decimal(f64),
    Text(String),
}

/// `people`: each a role ("Lead", "리드") when blameless, else a name.
#[derive(Debug, Serialize)]
pub struct PeopleVars {
    pub reporter: String,
    pub lead: Option<String>,
    /// Role name (`comms`, a policy role) → who holds it, in the order they were given.
    #[serde(serialize_with = "ordered_map")]
    pub roles: Vec<(String, String)>,
}

/// `times`: `2026-11-26 14:05 KST` in the policy's zone, `None` until reached.
#[derive(Debug, Default, Serialize)]
pub struct TimesVars {
    pub started: Option<String>,
    pub detected: Option<String>,
    pub declared: Option<String>,
    pub acknowledged: Option<String>,
    pub first_action: Option<String>,
    pub mitigated: Option<String>,
    pub resolved: Option<String>,
}

/// `durations`: in the policy's language ("1h 25m", "1시간 25분"), `None` until both ends exist.
#[derive(Debug, Default, Serialize)]
pub struct DurationsVars {
    /// Started → detected.
    pub to_detect: Option<String>,
    /// Declared → acknowledged.
    pub to_acknowledge: Option<String>,
    /// Declared → the first action.
    pub to_first_action: Option<String>,
    /// Declared → mitigated.
    pub to_mitigate: Option<String>,
    /// Declared → resolved.
    pub to_resolve: Option<String>,
}

/// `first_action`.
#[derive(Debug, Serialize)]
pub struct FirstActionVars {
    /// `rollback`, as the policy spells it.
    pub kind: String,
    pub text: Option<String>,
    pub at: String,
}

/// One of `actions`.
#[derive(Debug, Serialize)]
pub struct ActionVars {
    pub kind: String,
    pub text: Option<String>,
    pub at: String,
    /// The same moment in UTC, ISO 8601 with milliseconds (`2026-11-26T05:05:00.000Z`):
    /// sorts in time order where `at` (to the minute) cannot.
    pub utc: String,
    pub who: Option<String>,
}

/// One of `timeline`.
#[derive(Debug, Serialize)]
pub struct LineVars {
    pub at: String,
    /// The same moment in UTC, ISO 8601 with milliseconds (`2026-11-26T05:05:00.000Z`):
    /// sorts in time order where `at` (to the minute) cannot.
    pub utc: String,
    pub who: Option<String>,
    /// The retrospective's wording ("Update: …", "업데이트: …").
    pub text: String,
}

/// One of `highlights`: a pinned (or 📌) message.
#[derive(Debug, Serialize)]
pub struct HighlightVars {
    pub at: String,
    /// The same moment in UTC, ISO 8601 with milliseconds (`2026-11-26T05:05:00.000Z`):
    /// sorts in time order where `at` (to the minute) cannot.
    pub utc: String,
    pub who: Option<String>,
    /// `None` once the message was deleted.
    pub text: Option<String>,
    /// The message's permalink, when the workspace's address is known.
    pub link: Option<String>,
}

/// One of `updates`.
#[derive(Debug, Serialize)]
pub struct UpdateVars {
    pub at: String,
    /// The same moment in UTC, ISO 8601 with milliseconds (`2026-11-26T05:05:00.000Z`):
    /// sorts in time order where `at` (to the minute) cannot.
    pub utc: String,
    pub who: Option<String>,
    pub text: String,
    /// The status it moved to, in the policy's language; `None` when it moved none.
    pub status: Option<String>,
}

/// `followups`, in the retrospective's three groups.
#[derive(Debug, Default, Serialize)]
pub struct FollowupsVars {
    pub prevent: Vec<FollowupVars>,
    pub detect: Vec<FollowupVars>,
    pub handle: Vec<FollowupVars>,
}

/// One follow-up.
#[derive(Debug, Serialize)]
pub struct FollowupVars {
    pub text: String,
    pub owner: Option<String>,
    /// The due day in the policy's language ("2026-12-01", "2026년 12월 1일").
    pub due: Option<String>,
    pub done: bool,
}

/// One of `changes`.
#[derive(Debug, Serialize)]
pub struct ChangeVars {
    pub text: String,
    /// Empty: it may touch anything.
    pub services: Vec<String>,
    /// When the work happens (or happened).
    pub at: String,
}

/// One of `alerts`.
#[derive(Debug, Serialize)]
pub struct AlertVars {
    /// `alertmanager`, `grafana`, `datadog`.
    pub source: String,
    pub title: String,
    pub at: String,
    pub link: Option<String>,
    /// Whether it resolved since.
    pub resolved: bool,
}

/// `report`.
#[derive(Debug, Serialize)]
pub struct ReportVars {
    pub name: String,
    pub title: Option<String>,
    pub due: Option<String>,
    #[serde(rename = "final")]
    pub final_: bool,
}

/// Serializes pairs as a map in their order (minijinja keeps it: `preserve_order`).
fn ordered_map<K: Serialize, V: Serialize, S: Serializer>(pairs: &[(K, V)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(pairs.iter().map(|(k, v)| (k, v)))
}

/// A moment in UTC to the millisecond, in a form that sorts as text.
fn utc(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A moment as every report shows it: `2026-11-26 14:05 KST`, in the policy's zone.
pub fn stamp(at: DateTime<Utc>, policy: &Policy) -> String {
    at.with_timezone(&policy.timezone).format("%Y-%m-%d %H:%M %Z").to_string()
}

/// One line of text: a line break inside a value would break the template's Markdown lists.
fn one_line(text: &str) -> String {
    text.split(['\n', '\r']).filter(|part| !part.trim().is_empty()).collect::<Vec<_>>().join(" ")
}

/// Builds the variables. Linear in the size of the record.
pub fn build(input: &ReportInput<'_>) -> Context {
    let retro = retrospective::build(&input.gathered);
    let view = View { input, retro: &retro, locale: input.gathered.locale };
    let actions = view.actions();
    let first = actions.first();
    let first_action =
        first.map(|(at, a)| FirstActionVars { kind: a.kind.clone(), text: a.text.clone(), at: view.stamp(*at) });
    let times = view.times(first.map(|(at, _)| *at));
    let durations = view.durations(first.map(|(at, _)| *at));
    Context {
        incident: view.incident(),
        people: view.people(),
        times,
        durations,
        first_action,
        actions: actions.into_iter().map(|(_, action)| action).collect(),
        timeline: view.timeline(),
        highlights: view.highlights(),
        updates: view.updates(),
        followups: view.followups(),
        changes: view.changes(),
        alerts: view.alerts(),
        report: ReportVars {
            name: input.report.name.to_owned(),
            title: input.report.title.map(str::to_owned),
            due: input.report.due.map(|due| view.stamp(due)),
            final_: input.report.final_,
        },
        now: view.stamp(input.now),
    }
}

/// What the builder reads from: the input and the retrospective built from it.
struct View<'a> {
    input: &'a ReportInput<'a>,
    retro: &'a Retrospective,
    locale: Locale,
}

impl View<'_> {
    fn stamp(&self, at: DateTime<Utc>) -> String {
        stamp(at, self.input.policy)
    }

    fn person(&self, person: &Person) -> String {
        label(person, self.locale)
    }

    /// How a user is shown: as the retrospective shows them (a role when blameless), else
    /// by name, else (someone the record never met, as the retrospective does) by id.
    fn user(&self, user: &UserId) -> String {
        match self.retro.people.get(user) {
            Some(person) => self.person(person),
            None if self.input.gathered.blameless => user.to_string(),
            None => self.input.gathered.names.get(user).cloned().unwrap_or_else(|| user.to_string()),
        }
    }

    fn who(&self, entry: &Entry) -> Option<String> {
        entry.who.as_ref().map(|p| self.person(p))
    }

    fn incident(&self) -> IncidentVars {
        let incident = self.input.gathered.incident;
        let policy = self.input.policy;
        let fields = self.fields();
        let kind = fields.iter().find(|(name, _)| name == "type").and_then(|(_, value)| value.clone());
        let channel = incident.channel.as_ref();
        IncidentVars {
            number: self.retro.number,
            title: one_line(&self.retro.title),
            severity: self.retro.severity.to_string(),
            severity_label: policy.severity(self.retro.severity.as_str()).map(|s| s.label.clone()),
            status: status_word(self.locale, self.retro.status).to_owned(),
            services: self.retro.services.clone(),
            impact: self.retro.impact.as_deref().map(one_line),
            private: incident.private,
            channel: channel
                .map(|id| incident.channel_name.as_ref().map_or_else(|| id.to_string(), |n| format!("#{n}"))),
            link: channel.map(|id| format!("https://slack.com/app_redirect?channel={id}")),
            kind,
            fields,
        }
    }

    /// The policy's fields in order, each with its value when set, then set fields the
    /// policy no longer declares.
    fn fields(&self) -> Vec<(String, Option<FieldValue>)> {
        let policy = self.input.policy;
        let set = self.input.fields;
        let value_of = |name: &str| set.iter().rev().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v);
        let mut out: Vec<(String, Option<FieldValue>)> = policy
            .fields
            .iter()
            .map(|field| {
                let value = value_of(&field.name).map(|v| match field.kind {
                    FieldKind::Number => number(v),
                    FieldKind::Text | FieldKind::Select(_) => FieldValue::Text(one_line(v)),
                });
                (field.name.clone(), value)
            })
            .collect();
        for (name, value) in set {
            if !out.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
                out.push((name.clone(), Some(FieldValue::Text(one_line(value)))));
            }
        }
        out
    }

    fn people(&self) -> PeopleVars {
        let gathered = &self.input.gathered;
        PeopleVars {
            reporter: self.user(&gathered.incident.reporter),
            lead: gathered.incident.lead.as_ref().map(|lead| self.user(lead)),
            roles: gathered.roles.iter().map(|(role, user)| (role.as_str().to_owned(), self.user(user))).collect(),
        }
    }

    fn times(&self, first_action: Option<DateTime<Utc>>) -> TimesVars {
        let times = &self.retro.times;
        let stamp = |at: Option<DateTime<Utc>>| at.map(|at| self.stamp(at));
        TimesVars {
            started: stamp(times.started),
            detected: stamp(times.detected),
            declared: stamp(times.declared),
            acknowledged: stamp(times.acknowledged),
            first_action: stamp(first_action),
            mitigated: stamp(times.mitigated),
            resolved: stamp(times.resolved),
        }
    }

    fn durations(&self, first_action: Option<DateTime<Utc>>) -> DurationsVars {
        let times = &self.retro.times;
        let between = |from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>| match (from, to) {
            (Some(from), Some(to)) => Some(duration_in(self.locale, to - from)),
            _ => None,
        };
        DurationsVars {
            to_detect: between(times.started, times.detected),
            to_acknowledge: between(times.declared, times.acknowledged),
            to_first_action: between(times.declared, first_action),
            to_mitigate: between(times.declared, times.mitigated),
            to_resolve: between(times.declared, times.resolved),
        }
    }

    /// The retrospective's lines of `kind` with the recorded events they were made from: the
    /// retrospective words the line (people as labels, mentions scrubbed), the event keeps
    /// what the words leave out (an update's status, an alert's link).
    fn events_of(&self, kind: TimelineKind) -> Vec<(&Entry, &str, &TimelineEvent)> {
        // The retrospective sorts its lines by time, stably, from the events in recorded
        // order: the same sort of the same events pairs them one to one.
        let mut events: Vec<&TimelineEvent> =
            self.input.gathered.timeline.iter().filter(|e| e.entry.kind() == Ok(kind)).collect();
        events.sort_by_key(|e| e.at);
        let lines = self.retro.timeline.iter().filter_map(|entry| match &entry.line {
            Line::Event { kind: k, detail } if *k == kind => Some((entry, detail.as_str())),
            _ => None,
        });
        lines.zip(events).map(|((entry, detail), event)| (entry, detail, event)).collect()
    }

    /// The response actions in time order, each with when it happened.
    fn actions(&self) -> Vec<(DateTime<Utc>, ActionVars)> {
        self.events_of(TimelineKind::ResponseAction)
            .into_iter()
            .filter_map(|(entry, detail, event)| {
                let TimelineEntry::ResponseAction { action, .. } = &event.entry else { return None };
                // The detail is "KIND: TEXT" (a kind is one word), or the kind alone.
                let text = detail.strip_prefix(action.as_str()).and_then(|rest| rest.strip_prefix(": "));
                let action = ActionVars {
                    kind: action.clone(),
                    text: text.map(one_line),
                    at: self.stamp(entry.at),
                    utc: utc(entry.at),
                    who: self.who(entry),
                };
                Some((entry.at, action))
            })
            .collect()
    }

    fn timeline(&self) -> Vec<LineVars> {
        self.retro
            .timeline
            .iter()
            .filter(|e| !matches!(e.line, Line::Highlight { .. }))
            .map(|entry| LineVars {
                at: self.stamp(entry.at),
                utc: utc(entry.at),
                who: self.who(entry),
                text: describe(self.locale, entry),
            })
            .collect()
    }

    fn highlights(&self) -> Vec<HighlightVars> {
        self.retro
            .timeline
            .iter()
            .filter_map(|entry| match &entry.line {
                Line::Highlight { text } => Some(HighlightVars {
                    at: self.stamp(entry.at),
                    utc: utc(entry.at),
                    who: self.who(entry),
                    text: text.as_deref().map(one_line),
                    link: entry.permalink.clone(),
                }),
                _ => None,
            })
            .collect()
    }

    fn updates(&self) -> Vec<UpdateVars> {
        self.events_of(TimelineKind::Update)
            .into_iter()
            .map(|(entry, detail, event)| {
                let status = match &event.entry {
                    TimelineEntry::Update { status: Some(status), .. } => {
                        Some(status_word(self.locale, *status).to_owned())
                    }
                    _ => None,
                };
                UpdateVars {
                    at: self.stamp(entry.at),
                    utc: utc(entry.at),
                    who: self.who(entry),
                    text: one_line(detail),
                    status,
                }
            })
            .collect()
    }

    fn followups(&self) -> FollowupsVars {
        let mut out = FollowupsVars::default();
        for (group, items) in &self.retro.followups {
            let items = items.iter().map(|item| FollowupVars {
                text: one_line(&item.text),
                owner: item.owner.as_ref().map(|owner| self.user(owner)),
                due: item.due.map(|due| crate::render::time::date(due, self.locale)),
                done: item.done_at.is_some(),
            });
            let slot = match group {
                FollowupGroup::Prevent => &mut out.prevent,
                FollowupGroup::Detect => &mut out.detect,
                FollowupGroup::Handle => &mut out.handle,
            };
            slot.extend(items);
        }
        out
    }

    fn changes(&self) -> Vec<ChangeVars> {
        self.input
            .changes
            .iter()
            .map(|change| ChangeVars {
                text: one_line(&change.text),
                services: change.services.iter().map(|s| s.to_string()).collect(),
                at: self.stamp(change.when()),
            })
            .collect()
    }

    fn alerts(&self) -> Vec<AlertVars> {
        let resolved =
            |fingerprint: &str| {
                self.input.gathered.timeline.iter().any(
                    |e| matches!(&e.entry, TimelineEntry::AlertResolved { fingerprint: f, .. } if f == fingerprint),
                )
            };
        self.events_of(TimelineKind::Alert)
            .into_iter()
            .filter_map(|(entry, detail, event)| {
                let TimelineEntry::Alert { source, fingerprint, link, .. } = &event.entry else { return None };
                Some(AlertVars {
                    source: source.clone(),
                    title: one_line(detail),
                    at: self.stamp(entry.at),
                    link: link.clone(),
                    resolved: resolved(fingerprint),
                })
            })
            .collect()
    }
}

/// A number field's value as a number: whole numbers as integers, others as decimals; text
/// that is not a number (stored before the field became a number) stays text.
fn number(value: &str) -> FieldValue {
    let value = value.trim();
    if let Ok(integer) = value.parse::<i64>() {
        return FieldValue::Integer(integer);
    }
    match value.parse::<f64>() {
        Ok(decimal) if decimal.is_finite() => FieldValue::Decimal(decimal),
        _ => FieldValue::Text(one_line(value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::policy::testing::contract_policy;
    use crate::domain::timeline::TimelineEntry;
    use crate::report::sample::Sample;

    fn with_sample<T>(vary: impl FnOnce(&mut Sample), read: impl FnOnce(&Context) -> T) -> T {
        let policy = contract_policy();
        let mut sample = Sample::new(&policy).unwrap();
        vary(&mut sample);
        read(&build(&sample.input(&policy)))
    }

    #[test]
    fn the_first_action_is_the_earliest_even_when_recorded_later() {
        let (first, kinds, time) = with_sample(
            |sample| {
                let mut hotfix = sample.timeline[0].clone();
                hotfix.id = 99;
                hotfix.at = sample.incident.declared_at + chrono::Duration::minutes(8);
                hotfix.entry = TimelineEntry::ResponseAction { action: "hotfix".into(), text: None };
                sample.timeline.push(hotfix);
            },
            |vars| {
                let first = vars.first_action.as_ref().map(|a| (a.kind.clone(), a.text.clone()));
                let kinds: Vec<String> = vars.actions.iter().map(|a| a.kind.clone()).collect();
                (first, kinds, vars.times.first_action.clone())
            },
        );
        assert_eq!(first, Some(("hotfix".to_owned(), None)));
        assert_eq!(kinds, ["hotfix", "rollback"]);
        assert_eq!(time.as_deref(), Some("2026-03-02 14:10 KST"));
    }

    #[test]
    fn fields_are_by_name_in_policy_order_with_numbers_as_numbers_and_type_as_incident_type() {
        let (fields, kind) = with_sample(
            |sample| {
                sample.fields = vec![
                    ("customers".into(), "1200".into()),
                    ("customers".into(), "1500.5".into()),
                    ("legacy".into(), "x".into()),
                ];
            },
            |vars| (vars.incident.fields.clone(), vars.incident.kind.clone()),
        );
        assert_eq!(
            fields,
            [
                ("type".to_owned(), None),
                ("customers".to_owned(), Some(FieldValue::Decimal(1500.5))),
                ("legacy".to_owned(), Some(FieldValue::Text("x".into()))),
            ]
        );
        assert_eq!(kind, None, "incident.type is fields.type, unset here");
        let fields = with_sample(|_| {}, |vars| vars.incident.fields.clone());
        assert_eq!(fields[1], ("customers".to_owned(), Some(FieldValue::Integer(1200))));
    }

    #[test]
    fn updates_keep_the_status_they_moved_to_in_the_policy_s_language() {
        let statuses = with_sample(|_| {}, |vars| vars.updates.iter().map(|u| u.status.clone()).collect::<Vec<_>>());
        assert_eq!(statuses, [None, Some("Identified".to_owned()), Some("Monitoring".to_owned())]);
    }

    #[test]
    fn highlights_are_listed_apart_from_the_timeline() {
        let (timeline, highlights) = with_sample(
            |_| {},
            |vars| (vars.timeline.iter().map(|l| l.text.clone()).collect::<Vec<_>>(), vars.highlights.len()),
        );
        assert_eq!(highlights, 1);
        // The message is in the timeline once, marked; not a second time as the highlight.
        assert_eq!(timeline.iter().filter(|text| text.contains(":pushpin:")).count(), 1, "{timeline:?}");
    }

    #[test]
    fn people_are_roles_when_blameless_and_names_otherwise() {
        let people = |blameless: bool| {
            with_sample(
                |sample| sample.blameless = blameless,
                |vars| (vars.people.reporter.clone(), vars.people.lead.clone(), vars.people.roles.clone()),
            )
        };
        let roles = |pairs: [(&str, &str); 2]| pairs.map(|(r, p)| (r.to_owned(), p.to_owned())).to_vec();
        assert_eq!(
            people(true),
            ("Reporter".into(), Some("Lead".into()), roles([("lead", "Lead"), ("comms", "Comms")]))
        );
        assert_eq!(
            people(false),
            ("Alice Kim".into(), Some("Bob Park".into()), roles([("lead", "Bob Park"), ("comms", "Carol Lee")]))
        );
    }

    #[test]
    fn an_open_incident_without_a_channel_has_no_resolution_and_no_link() {
        let (resolved, to_resolve, channel, link) = with_sample(
            |sample| {
                sample.incident.status = crate::domain::incident::IncidentStatus::Investigating;
                sample.incident.channel = None;
            },
            |vars| {
                (
                    vars.times.resolved.clone(),
                    vars.durations.to_resolve.clone(),
                    vars.incident.channel.clone(),
                    vars.incident.link.clone(),
                )
            },
        );
        assert_eq!((resolved, to_resolve, channel, link), (None, None, None, None));
    }
}
