//! A sample incident for check-config: every documented variable set (an alert, a change, an
//! action, updates, a pinned message, a follow-up in each group, each policy field), in the
//! policy's language and zone, so rendering a template against it exercises every name the
//! template reads. Pure: fixed times, made-up people.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::context::{ReportInput, ReportMeta};
use crate::catalog::Locale;
use crate::domain::change::PlannedChange;
use crate::domain::fields::{Field, FieldKind};
use crate::domain::followup::{Followup, FollowupGroup};
use crate::domain::ids::{ChannelId, UserId};
use crate::domain::incident::{
    Incident, IncidentId, IncidentNumber, IncidentStatus, RoleName, ServiceName, SeverityName,
};
use crate::domain::policy::Policy;
use crate::domain::record::{StoredMessage, TimelineEvent};
use crate::domain::retrospective::Gathered;
use crate::domain::timeline::TimelineEntry;

/// The sample's people, by id: the reporter, the lead, comms and one more responder.
const REPORTER: &str = "U0SAMPLE1";
const LEAD: &str = "U0SAMPLE2";
const COMMS: &str = "U0SAMPLE3";
const RESPONDER: &str = "U0SAMPLE4";
const CHANNEL: &str = "C0SAMPLE42";

/// The words of the sample, in one language.
struct Words {
    report: &'static str,
    title: &'static str,
    impact: &'static str,
    service: &'static str,
    names: [&'static str; 4],
    alert: &'static str,
    looking: &'static str,
    pinned: &'static str,
    identified: &'static str,
    rollback: &'static str,
    monitoring: &'static str,
    resolved: &'static str,
    prevent: &'static str,
    detect: &'static str,
    handle: &'static str,
    change: &'static str,
    text_field: &'static str,
}

const KO: Words = Words {
    report: "장애 보고서",
    title: "결제 승인 실패",
    impact: "카드 결제의 약 30%가 실패 (웹·앱)",
    service: "payments",
    names: ["김지은", "박서준", "이하늘", "최민호"],
    alert: "결제 API 5xx 비율 급증",
    looking: "카드 승인 API의 5xx가 늘었습니다. 원인을 조사하고 있습니다.",
    pinned: "14:00 배포(v2.3.1) 이후 PG 타임아웃 설정이 3초에서 300ms로 바뀌었습니다",
    identified: "14:00 배포에서 PG 타임아웃이 300ms로 줄어 승인 요청이 실패했습니다",
    rollback: "v2.3.0으로 롤백",
    monitoring: "롤백을 마쳤고 오류율이 정상으로 돌아오는지 지켜보고 있습니다",
    resolved: "v2.3.0 롤백 후 결제 성공률 정상화",
    prevent: "배포 전 PG 타임아웃 설정을 검토하는 단계 추가",
    detect: "결제 성공률 알람 임계값을 95%로 조정",
    handle: "롤백 런북에 PG 설정 확인 절차 추가",
    change: "결제 API v2.3.1 배포",
    text_field: "PG사 응답 지연",
};

const EN: Words = Words {
    report: "Incident report",
    title: "Card payments declined",
    impact: "About 30% of card payments failed (web and app)",
    service: "payments",
    names: ["Alice Kim", "Bob Park", "Carol Lee", "Dave Choi"],
    alert: "Payments API 5xx rate high",
    looking: "Card authorisation API returns more 5xx. Investigating.",
    pinned: "The 14:00 deploy (v2.3.1) changed the gateway timeout from 3s to 300ms",
    identified: "The 14:00 deploy cut the gateway timeout to 300ms, so authorisations failed",
    rollback: "rolled back to v2.3.0",
    monitoring: "Rollback done; watching the error rate return to normal",
    resolved: "Payments back to normal after rolling back to v2.3.0",
    prevent: "Review gateway timeout settings before each deploy",
    detect: "Alert when the payment success rate drops below 95%",
    handle: "Add a gateway settings check to the rollback runbook",
    change: "Deploy payments API v2.3.1",
    text_field: "Gateway latency",
};

/// A sample incident, owned, to lend to [`ReportInput`].
/// Public so tests can vary it (an open incident, no actions, no fields).
pub struct Sample {
    pub incident: Incident,
    pub timeline: Vec<TimelineEvent>,
    pub messages: Vec<StoredMessage>,
    pub followups: Vec<Followup>,
    pub roles: Vec<(RoleName, UserId)>,
    /// Display names, shown when not blameless.
    pub names: HashMap<UserId, String>,
    pub serious: Vec<SeverityName>,
    pub changes: Vec<PlannedChange>,
    /// The set custom fields: a fitting value for each of the policy's.
    pub fields: Vec<(String, String)>,
    /// Whether people are shown as roles; the policy's `retro.blameless` to begin with.
    pub blameless: bool,
    /// Whether the report is rendered as final.
    pub final_: bool,
    /// The report's title.
    pub title: &'static str,
}

/// 2026-03-02 05:00 UTC (14:00 in Seoul) plus `minutes`.
fn at(minutes: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_772_427_600, 0).unwrap_or_default() + Duration::minutes(minutes)
}

/// The pinned message's ts.
fn pinned_ts() -> String {
    format!("{}.000100", at(11).timestamp())
}

/// A value that fits `field`: a number for a number, an option for a select (`code` when
/// there is one: the sample was a deploy), a short text otherwise.
fn sample_value(field: &Field, words: &Words) -> String {
    match &field.kind {
        FieldKind::Number => "1200".to_owned(),
        FieldKind::Select(options) => {
            options.iter().find(|o| o.eq_ignore_ascii_case("code")).or(options.first()).cloned().unwrap_or_default()
        }
        FieldKind::Text => words.text_field.to_owned(),
    }
}

/// The sample's people.
struct Cast {
    reporter: UserId,
    lead: UserId,
    comms: UserId,
    responder: UserId,
}

impl Cast {
    fn new() -> Option<Cast> {
        Some(Cast {
            reporter: UserId::parse(REPORTER)?,
            lead: UserId::parse(LEAD)?,
            comms: UserId::parse(COMMS)?,
            responder: UserId::parse(RESPONDER)?,
        })
    }
}

impl Sample {
    /// The sample, in `policy`'s language, with its most severe severity, its first service
    /// and a value for each of its fields. `None` only if the sample's own ids were not
    /// Slack ids (a test rules that out).
    pub fn new(policy: &Policy) -> Option<Sample> {
        let words = match policy.locale {
            Locale::Ko => &KO,
            Locale::En => &EN,
        };
        let cast = Cast::new()?;
        let channel = ChannelId::parse(CHANNEL)?;
        let severity =
            policy.severities.first().map_or_else(|| SeverityName::from_stored("SEV1".into()), |s| s.name.clone());
        let service =
            policy.services.first().map_or_else(|| ServiceName::from_stored(words.service.into()), |s| s.name.clone());
        let fields: Vec<(String, String)> =
            policy.fields.iter().map(|f| (f.name.clone(), sample_value(f, words))).collect();
        let incident = Incident {
            id: IncidentId::from_stored(0),
            number: IncidentNumber(42),
            title: words.title.to_owned(),
            severity: severity.clone(),
            status: IncidentStatus::Resolved,
            private: false,
            drill: false,
            reporter: cast.reporter.clone(),
            lead: Some(cast.lead.clone()),
            impact: Some(words.impact.to_owned()),
            description: None,
            services: vec![service.clone()],
            channel: Some(channel.clone()),
            channel_name: Some(format!("{}-20260302-42", policy.channels.prefix)),
            channel_attempt: 1,
            summary_ts: None,
            declared_at: at(2),
            last_update_at: at(95),
            version: 1,
            timers: Default::default(),
            last_reminder_ts: None,
        };
        let timeline = timeline(&cast, &channel, &severity, &service, &fields, words);
        let messages = vec![StoredMessage {
            incident_id: incident.id,
            channel,
            ts: pinned_ts(),
            thread_ts: None,
            user: Some(cast.responder.clone()),
            text: Some(words.pinned.to_owned()),
            file_count: 0,
            subtype: None,
            edited: false,
            deleted: false,
            posted_at: at(11),
        }];
        let followup = |id: i64, group, text: &str, owner: Option<&UserId>, done: bool| Followup {
            id,
            incident_id: incident.id,
            group,
            text: text.to_owned(),
            owner: owner.cloned(),
            due: NaiveDate::from_ymd_opt(2026, 3, 16),
            created_by: cast.lead.clone(),
            created_at: at(100),
            done_at: done.then(|| at(200)),
        };
        let followups = vec![
            followup(1, FollowupGroup::Prevent, words.prevent, Some(&cast.responder), false),
            followup(2, FollowupGroup::Detect, words.detect, Some(&cast.lead), false),
            followup(3, FollowupGroup::Handle, words.handle, None, true),
        ];
        let changes = vec![PlannedChange {
            id: 1,
            text: words.change.to_owned(),
            services: vec![service],
            planned_at: Some(at(0)),
            author: cast.responder.clone(),
            created_at: at(-60),
        }];
        let names = [
            (&cast.reporter, words.names[0]),
            (&cast.lead, words.names[1]),
            (&cast.comms, words.names[2]),
            (&cast.responder, words.names[3]),
        ]
        .into_iter()
        .map(|(id, name)| (id.clone(), name.to_owned()))
        .collect();
        let serious = policy.severities.iter().take(2).map(|s| s.name.clone()).collect();
        let roles = vec![
            (RoleName::from_stored("lead".into()), cast.lead.clone()),
            (RoleName::from_stored("comms".into()), cast.comms.clone()),
        ];
        let blameless = policy.retro.blameless;
        Some(Sample {
            incident,
            timeline,
            messages,
            followups,
            roles,
            names,
            serious,
            changes,
            fields,
            blameless,
            final_: false,
            title: words.report,
        })
    }

    /// The sample as a report's input.
    pub fn input<'a>(&'a self, policy: &'a Policy) -> ReportInput<'a> {
        ReportInput {
            gathered: Gathered {
                incident: &self.incident,
                timeline: &self.timeline,
                messages: &self.messages,
                followups: &self.followups,
                roles: &self.roles,
                names: &self.names,
                blameless: self.blameless,
                serious: &self.serious,
                workspace_url: Some("https://example.slack.com/"),
                locale: policy.locale,
            },
            policy,
            changes: &self.changes,
            fields: &self.fields,
            report: ReportMeta { name: "report", title: Some(self.title), due: Some(at(2 + 240)), final_: self.final_ },
            now: at(300),
        }
    }
}

/// What was recorded, in order: the alert, the declaration, the roles, updates through the
/// statuses, a pin, the fields, the first action, the resolution.
fn timeline(
    cast: &Cast,
    channel: &ChannelId,
    severity: &SeverityName,
    service: &ServiceName,
    fields: &[(String, String)],
    words: &Words,
) -> Vec<TimelineEvent> {
    let by = |user: &UserId| Some(user.to_string());
    let mut entries: Vec<(i64, Option<String>, TimelineEntry)> = vec![
        (
            0,
            None,
            TimelineEntry::Alert {
                source: "alertmanager".into(),
                title: words.alert.into(),
                fingerprint: "sample-1".into(),
                link: Some("https://alerts.example.com/sample-1".into()),
            },
        ),
        (
            2,
            by(&cast.reporter),
            TimelineEntry::Declared {
                severity: severity.clone(),
                services: vec![service.clone()],
                private: false,
                rule: None,
            },
        ),
        (
            4,
            by(&cast.reporter),
            TimelineEntry::RoleAssigned { role: RoleName::from_stored("lead".into()), user: cast.lead.clone() },
        ),
        (
            5,
            by(&cast.lead),
            TimelineEntry::RoleAssigned { role: RoleName::from_stored("comms".into()), user: cast.comms.clone() },
        ),
        (8, by(&cast.lead), TimelineEntry::Update { text: words.looking.into(), status: None }),
        (
            12,
            by(&cast.lead),
            TimelineEntry::Highlight { channel: channel.clone(), ts: pinned_ts(), by: cast.lead.clone() },
        ),
        (
            18,
            by(&cast.lead),
            TimelineEntry::Update { text: words.identified.into(), status: Some(IncidentStatus::Identified) },
        ),
        (
            20,
            by(&cast.responder),
            TimelineEntry::ResponseAction { action: "rollback".into(), text: Some(words.rollback.into()) },
        ),
        (
            35,
            by(&cast.comms),
            TimelineEntry::Update { text: words.monitoring.into(), status: Some(IncidentStatus::Monitoring) },
        ),
        (
            50,
            None,
            TimelineEntry::AlertResolved {
                source: "alertmanager".into(),
                title: words.alert.into(),
                fingerprint: "sample-1".into(),
            },
        ),
        (
            95,
            by(&cast.lead),
            TimelineEntry::Resolved { summary: Some(words.resolved.into()), duration_seconds: 93 * 60 },
        ),
    ];
    for (field, value) in fields {
        entries.push((15, by(&cast.lead), TimelineEntry::FieldSet { field: field.clone(), value: value.clone() }));
    }
    entries.sort_by_key(|(minutes, _, _)| *minutes);
    entries
        .into_iter()
        .enumerate()
        .map(|(index, (minutes, author, entry))| TimelineEvent {
            id: index as i64 + 1,
            incident_id: IncidentId::from_stored(0),
            at: at(minutes),
            author,
            entry,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::policy::testing::contract_policy;
    use crate::report::context::build;

    #[test]
    fn the_sample_builds_for_the_built_in_policy_and_the_contract_s() {
        for policy in [crate::config::policy::builtin(), contract_policy()] {
            assert!(Sample::new(&policy).is_some());
        }
    }

    #[test]
    fn each_field_gets_a_value_that_fits_it() {
        let policy = contract_policy();
        let sample = Sample::new(&policy).unwrap();
        assert_eq!(
            sample.fields,
            [("type".to_owned(), "code".to_owned()), ("customers".to_owned(), "1200".to_owned())]
        );
        for (name, value) in &sample.fields {
            assert!(policy.field(name).unwrap().accept(value).is_ok(), "{name} = {value}");
        }
    }

    #[test]
    fn the_sample_sets_every_variable() {
        for locale in Locale::ALL {
            let policy = Policy { locale, ..contract_policy() };
            let sample = Sample::new(&policy).unwrap();
            let vars = build(&sample.input(&policy));
            let incident = &vars.incident;
            assert!(incident.severity_label.is_some() && incident.impact.is_some() && incident.kind.is_some());
            assert!(incident.channel.is_some() && incident.link.is_some() && !incident.services.is_empty());
            assert!(incident.fields.iter().all(|(_, value)| value.is_some()));
            assert!(vars.people.lead.is_some() && !vars.people.roles.is_empty());
            let times = &vars.times;
            for time in [
                &times.started,
                &times.detected,
                &times.declared,
                &times.acknowledged,
                &times.first_action,
                &times.mitigated,
                &times.resolved,
            ] {
                assert!(time.is_some(), "{times:?}");
            }
            let durations = &vars.durations;
            for duration in [
                &durations.to_detect,
                &durations.to_acknowledge,
                &durations.to_first_action,
                &durations.to_mitigate,
                &durations.to_resolve,
            ] {
                assert!(duration.is_some(), "{durations:?}");
            }
            assert!(vars.first_action.is_some());
            assert!(!vars.actions.is_empty() && !vars.timeline.is_empty() && !vars.highlights.is_empty());
            assert!(!vars.updates.is_empty() && !vars.changes.is_empty() && !vars.alerts.is_empty());
            let followups = &vars.followups;
            assert!(!followups.prevent.is_empty() && !followups.detect.is_empty() && !followups.handle.is_empty());
            assert!(vars.report.title.is_some() && vars.report.due.is_some());
        }
    }
}
