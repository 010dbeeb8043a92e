//! The JSON API's shapes (`/api/incidents`, `/api/incidents/N`, `/api/stats`), as the contract
//! spells them: times in RFC 3339 UTC, durations in seconds, and nothing of a private
//! incident but its number, severity, status and times. Pure.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::domain::followup::Followup;
use crate::domain::incident::Incident;
use crate::domain::record::TimelineEvent;
use crate::domain::stats::{BySeverity, Stats};
use crate::domain::timeline::TimelineEntry;

fn time(at: DateTime<Utc>) -> Value {
    Value::String(at.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// One incident in a list; `resolved_at` is stored beside the incident.
pub fn incident(incident: &Incident, resolved_at: Option<DateTime<Utc>>, fields: &[(String, String)]) -> Value {
    let private = incident.private;
    let hidden = |value: Value| if private { Value::Null } else { value };
    let fields: Map<String, Value> = fields.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    json!({
        "number": incident.number.0,
        "title": hidden(Value::String(incident.title.clone())),
        "severity": incident.severity.as_str(),
        "status": incident.status.as_str(),
        "private": private,
        "services": hidden(json!(incident.services.iter().map(|s| s.as_str()).collect::<Vec<_>>())),
        "channel": hidden(incident.channel.as_ref().map_or(Value::Null, |c| Value::String(c.to_string()))),
        "declared_at": time(incident.declared_at),
        "resolved_at": resolved_at.map_or(Value::Null, time),
        "fields": hidden(Value::Object(fields)),
    })
}

/// One incident with its timeline and follow-ups (both null for a private incident).
pub fn incident_detail(
    incident: &Incident,
    resolved_at: Option<DateTime<Utc>>,
    fields: &[(String, String)],
    timeline: &[TimelineEvent],
    followups: &[Followup],
) -> Value {
    let mut out = self::incident(incident, resolved_at, fields);
    let (timeline, followups) = if incident.private {
        (Value::Null, Value::Null)
    } else {
        let timeline: Vec<Value> = timeline
            .iter()
            .map(|event| {
                let kind = event.entry.to_stored().map_or_else(|_| "unknown".to_owned(), |(kind, _)| kind);
                json!({"at": time(event.at), "kind": kind, "author": event.author, "text": text(&event.entry)})
            })
            .collect();
        let followups: Vec<Value> = followups
            .iter()
            .map(|f| {
                json!({
                    "group": f.group.as_str(),
                    "text": f.text,
                    "owner": f.owner.as_ref().map(|o| o.to_string()),
                    "due": f.due.map(|d| d.to_string()),
                    "done_at": f.done_at.map_or(Value::Null, time),
                })
            })
            .collect();
        (Value::Array(timeline), Value::Array(followups))
    };
    out["timeline"] = timeline;
    out["followups"] = followups;
    out
}

/// What a timeline entry says, in a line (`null` when it says nothing beyond its kind).
fn text(entry: &TimelineEntry) -> Value {
    let line = match entry {
        TimelineEntry::Declared { severity, .. } => Some(severity.to_string()),
        TimelineEntry::Update { text, .. }
        | TimelineEntry::Note { text }
        | TimelineEntry::FollowupAdded { text, .. }
        | TimelineEntry::FollowupDone { text, .. } => Some(text.clone()),
        TimelineEntry::StatusChanged { from, to } => Some(format!("{} → {}", from.as_str(), to.as_str())),
        TimelineEntry::Reopened { to } => Some(to.as_str().to_owned()),
        TimelineEntry::SeverityChanged { from, to, .. } => Some(format!("{from} → {to}")),
        TimelineEntry::RoleAssigned { role, user } => Some(format!("{}: {user}", role.as_str())),
        TimelineEntry::TitleChanged { title } => Some(title.clone()),
        TimelineEntry::ImpactChanged { impact } => Some(impact.clone()),
        TimelineEntry::ServiceAdded { service } | TimelineEntry::ServiceRemoved { service } => {
            Some(service.to_string())
        }
        TimelineEntry::Resolved { summary, .. } => summary.clone(),
        TimelineEntry::Alert { title, .. } | TimelineEntry::AlertResolved { title, .. } => Some(title.clone()),
        TimelineEntry::FieldSet { field, value } => Some(format!("{field} = {value}")),
        TimelineEntry::ResponseAction { action, text } => Some(match text {
            Some(text) => format!("{action}: {text}"),
            None => action.clone(),
        }),
        _ => None,
    };
    line.map_or(Value::Null, Value::String)
}

fn seconds(span: Option<chrono::Duration>) -> Value {
    span.map_or(Value::Null, |d| json!(d.num_seconds()))
}

fn figures(figures: &BySeverity) -> Value {
    json!({
        "count": figures.count,
        "mtta_s": seconds(figures.mtta),
        "mttd_s": seconds(figures.mttd),
        "mttfa_s": seconds(figures.mttfa),
        "mttr_s": seconds(figures.mttr),
    })
}

/// `/api/stats`: the figures `/incident stats` shows for the same window.
pub fn stats(window: &str, stats: &Stats) -> Value {
    let by_severity: Map<String, Value> =
        stats.by_severity.iter().map(|(name, f)| (name.clone(), figures(f))).collect();
    let by_first_action: Map<String, Value> =
        stats.by_first_action.iter().map(|(kind, f)| (kind.clone(), seconds(f.mttr))).collect();
    json!({"window": window, "by_severity": by_severity, "mttr_by_first_action": by_first_action})
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::incident::IncidentStatus;

    fn sample(private: bool) -> Incident {
        let at = Utc.with_ymd_and_hms(2026, 12, 3, 1, 2, 3).unwrap();
        Incident { private, status: IncidentStatus::Resolved, ..crate::render::api_test_incident(at) }
    }

    #[test]
    fn an_incident_is_the_contracts_shape_with_times_in_utc() {
        let resolved = Utc.with_ymd_and_hms(2026, 12, 3, 2, 0, 0).unwrap();
        let value = incident(&sample(false), Some(resolved), &[("customers".into(), "1200".into())]);
        assert_eq!(
            value,
            json!({"number": 42, "title": "Checkout errors", "severity": "SEV2", "status": "resolved",
                   "private": false, "services": ["payments"], "channel": "C0INC42",
                   "declared_at": "2026-12-03T01:02:03Z", "resolved_at": "2026-12-03T02:00:00Z",
                   "fields": {"customers": "1200"}})
        );
    }

    #[test]
    fn a_private_incident_shows_only_its_number_severity_status_and_times() {
        let value = incident_detail(&sample(true), None, &[("customers".into(), "1200".into())], &[], &[]);
        for hidden in ["title", "services", "channel", "fields", "timeline", "followups"] {
            assert_eq!(value[hidden], Value::Null, "{hidden}");
        }
        assert_eq!((value["number"].clone(), value["severity"].clone()), (json!(42), json!("SEV2")));
        assert!(!value.to_string().contains("Checkout") && !value.to_string().contains("1200"));
    }
}
