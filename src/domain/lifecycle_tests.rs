//! The lifecycle's transitions, refusals and permissions.

use chrono::{Duration, TimeZone, Utc};

use super::*;
use crate::config::policy::testing::contract_policy;
use crate::domain::incident::IncidentId;
use crate::domain::incident::IncidentNumber;

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn user(id: &str) -> UserId {
    UserId::parse(id).unwrap()
}

fn sev(name: &str) -> SeverityName {
    SeverityName(name.to_owned())
}

fn incident() -> Incident {
    Incident {
        id: IncidentId::from_stored(1),
        number: IncidentNumber(1),
        title: "Checkout is down".into(),
        severity: sev("SEV2"),
        status: IncidentStatus::Investigating,
        private: false,
        drill: false,
        reporter: user("U0REPORTER"),
        lead: None,
        impact: None,
        description: None,
        services: vec![ServiceName("payments".into())],
        channel: None,
        channel_name: None,
        channel_attempt: 1,
        summary_ts: None,
        declared_at: at(0),
        last_update_at: at(0),
        version: 0,
        timers: Default::default(),
        last_reminder_ts: None,
    }
}

fn run(incident: &Incident, action: Action, actor: &str) -> Result<Decision, Refusal> {
    decide(incident, &[], action, &user(actor), &contract_policy(), at(30))
}

#[test]
fn the_full_lifecycle_runs_from_investigating_to_closed() {
    let mut current = incident();
    for (action, status) in [
        (Action::SetStatus(IncidentStatus::Identified), IncidentStatus::Identified),
        (Action::SetStatus(IncidentStatus::Monitoring), IncidentStatus::Monitoring),
        (Action::Resolve(Some("Rolled back".into())), IncidentStatus::Resolved),
        (Action::Close, IncidentStatus::Closed),
    ] {
        current = run(&current, action, "U0REPORTER").unwrap().incident;
        assert_eq!(current.status, status);
    }
}

#[test]
fn a_resolved_incident_reopens_with_a_status() {
    let resolved = run(&incident(), Action::Resolve(None), "U0REPORTER").unwrap().incident;
    let decision = run(&resolved, Action::SetStatus(IncidentStatus::Identified), "U0ANYONE").unwrap();
    assert_eq!(decision.change, Change::Reopened { to: IncidentStatus::Identified });
    assert_eq!(decision.incident.status, IncidentStatus::Identified);
}

#[test]
fn illegal_moves_are_refused() {
    let resolved = run(&incident(), Action::Resolve(None), "U0REPORTER").unwrap().incident;
    assert_eq!(run(&resolved, Action::Resolve(None), "U0REPORTER"), Err(Refusal::AlreadyResolved));
    assert_eq!(run(&incident(), Action::Close, "U0REPORTER"), Err(Refusal::NotResolved));
    let closed = run(&resolved, Action::Close, "U0REPORTER").unwrap().incident;
    for action in [
        Action::Resolve(None),
        Action::Close,
        Action::SetStatus(IncidentStatus::Investigating),
        Action::Update { text: "x".into(), status: None },
        Action::SetSeverity(sev("SEV1")),
        Action::SetTitle("x".into()),
    ] {
        assert_eq!(run(&closed, action, "U0REPORTER"), Err(Refusal::Closed));
    }
    assert!(run(&closed, Action::Note("learned something".into()), "U0ANYONE").is_ok(), "notes work after close");
    assert_eq!(run(&incident(), Action::SetStatus(IncidentStatus::Investigating), "U0X"), Err(Refusal::Unchanged));
}

#[test]
fn anyone_may_update_note_and_raise_severity() {
    assert!(run(&incident(), Action::Update { text: "Looking".into(), status: None }, "U0BYSTANDER").is_ok());
    assert!(run(&incident(), Action::Note("seen in logs".into()), "U0BYSTANDER").is_ok());
    let raised = run(&incident(), Action::SetSeverity(sev("SEV1")), "U0BYSTANDER").unwrap();
    assert_eq!(raised.change, Change::SeverityChanged { from: sev("SEV2"), to: sev("SEV1"), lowered: false });
}

#[test]
fn a_bystander_cannot_lower_severity_resolve_close_or_remove_a_service() {
    let refused = |action| match run(&incident(), action, "U0BYSTANDER") {
        Err(Refusal::NotPermitted { allowed }) => allowed,
        other => panic!("{other:?}"),
    };
    let allowed = refused(Action::SetSeverity(sev("SEV4")));
    assert_eq!(allowed, [user("U0REPORTER"), user("U0ONCALL1"), user("U0ADMIN")], "reporter, responders, admins");
    refused(Action::Resolve(None));
    refused(Action::RemoveService(ServiceName("payments".into())));
}

#[test]
fn the_reporter_lead_role_holders_responders_and_admins_may() {
    let mut led = incident();
    led.lead = Some(user("U0LEAD"));
    let roles = [(RoleName("scribe".into()), user("U0SCRIBE"))];
    for actor in ["U0REPORTER", "U0LEAD", "U0SCRIBE", "U0ONCALL1", "U0ADMIN"] {
        let decision = decide(&led, &roles, Action::Resolve(None), &user(actor), &contract_policy(), at(30));
        assert!(decision.is_ok(), "{actor}");
    }
}

#[test]
fn lowering_is_marked_so_the_audience_is_not_unshared() {
    let decision = run(&incident(), Action::SetSeverity(sev("SEV3")), "U0REPORTER").unwrap();
    assert_eq!(decision.change, Change::SeverityChanged { from: sev("SEV2"), to: sev("SEV3"), lowered: true });
}

#[test]
fn an_update_can_move_the_status_and_resets_the_update_clock() {
    let decision =
        run(&incident(), Action::Update { text: "Found it".into(), status: Some(IncidentStatus::Identified) }, "U0X")
            .unwrap();
    assert_eq!(decision.incident.status, IncidentStatus::Identified);
    assert_eq!(decision.incident.last_update_at, at(30));
    assert!(decision.change.is_status_update() && decision.change.acknowledges());
}

#[test]
fn resolving_records_the_duration() {
    let decision = run(&incident(), Action::Resolve(Some("Fixed".into())), "U0REPORTER").unwrap();
    assert_eq!(decision.change, Change::Resolved { summary: Some("Fixed".into()), duration: Duration::minutes(30) });
}

#[test]
fn services_are_added_once_and_removed_only_when_affected() {
    let added = run(&incident(), Action::AddService(ServiceName("checkout".into())), "U0X").unwrap().incident;
    assert_eq!(added.services.len(), 2);
    assert_eq!(run(&added, Action::AddService(ServiceName("checkout".into())), "U0X"), Err(Refusal::Unchanged));
    assert_eq!(
        run(&incident(), Action::RemoveService(ServiceName("checkout".into())), "U0REPORTER"),
        Err(Refusal::ServiceNotAffected(ServiceName("checkout".into())))
    );
}

#[test]
fn assigning_the_lead_sets_it_and_acknowledges() {
    let decision =
        run(&incident(), Action::AssignRole { role: RoleName("lead".into()), user: user("U0LEAD") }, "U0X").unwrap();
    assert_eq!(decision.incident.lead, Some(user("U0LEAD")));
    assert!(decision.change.acknowledges());
    let again =
        run(&decision.incident, Action::AssignRole { role: RoleName("lead".into()), user: user("U0LEAD") }, "U0X");
    assert_eq!(again, Err(Refusal::Unchanged));
}

#[test]
fn a_field_takes_a_value_that_fits_and_refuses_one_that_does_not() {
    let set = |field: &str, value: &str| {
        run(&incident(), Action::SetField { field: field.into(), value: value.into() }, "U0ANYONE")
    };
    let decision = set("Customers", "1200").unwrap();
    assert_eq!(decision.change, Change::FieldSet { field: "customers".into(), value: "1200".into() });
    assert!(!decision.change.acknowledges() && !decision.change.is_status_update());
    assert_eq!(decision.incident.timers, incident().timers, "no reminder clock moves");
    assert_eq!(
        set("type", "DATABASE").unwrap().change,
        Change::FieldSet { field: "type".into(), value: "database".into() }
    );
    assert_eq!(
        set("customers", "many"),
        Err(Refusal::FieldMisfit { field: "customers".into(), misfit: crate::domain::fields::Misfit::NotANumber })
    );
    assert!(matches!(set("type", "cosmic-rays"), Err(Refusal::FieldMisfit { .. })));
    assert_eq!(set("colour", "red"), Err(Refusal::UnknownField { fields: vec!["type".into(), "customers".into()] }));
}

#[test]
fn an_action_of_a_known_kind_is_recorded_and_is_not_an_acknowledgement() {
    let act = |kind: &str, text: Option<&str>| {
        run(&incident(), Action::RecordAction { kind: kind.into(), text: text.map(str::to_owned) }, "U0ANYONE")
    };
    let decision = act("Rollback", Some(" v42 → v41 ")).unwrap();
    assert_eq!(decision.change, Change::ActionTaken { kind: "rollback".into(), text: Some("v42 → v41".into()) });
    assert!(!decision.change.acknowledges());
    assert_eq!(act("hotfix", Some("  ")).unwrap().change, Change::ActionTaken { kind: "hotfix".into(), text: None });
    assert!(matches!(act("pray", None), Err(Refusal::UnknownActionKind { kinds }) if kinds.len() == 6));
}

#[test]
fn set_and_action_are_refused_after_close() {
    let closed = Incident { status: IncidentStatus::Closed, ..incident() };
    let set = Action::SetField { field: "customers".into(), value: "1".into() };
    assert_eq!(run(&closed, set, "U0ADMIN"), Err(Refusal::Closed));
    let action = Action::RecordAction { kind: "rollback".into(), text: None };
    assert_eq!(run(&closed, action, "U0ADMIN"), Err(Refusal::Closed));
}
