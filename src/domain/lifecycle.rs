//! The incident lifecycle: what each action does to an incident, and when it is refused.
//!
//! One transition function, [`decide`], takes the incident, who holds which role, the action,
//! who asks, the policy and `now`, and returns the new incident and what to announce — or a
//! typed [`Refusal`]. Commands, buttons and modals all come through here (one code path).
//! Pure: no I/O, no clock.

use chrono::{DateTime, Utc};

use crate::domain::fields::Misfit;
use crate::domain::ids::UserId;
use crate::domain::incident::{Incident, IncidentStatus, RoleName, ServiceName, SeverityName};
use crate::domain::policy::Policy;
use crate::domain::reminders;
use crate::domain::timeline::TimelineKind;

/// Something a person does to an incident.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// A status update, optionally moving the status at the same time.
    Update {
        text: String,
        status: Option<IncidentStatus>,
    },
    /// `status investigating|identified|monitoring` (also reopens a resolved incident).
    SetStatus(IncidentStatus),
    SetSeverity(SeverityName),
    /// `lead @user` is the role `lead`.
    AssignRole {
        role: RoleName,
        user: UserId,
    },
    SetTitle(String),
    SetImpact(String),
    AddService(ServiceName),
    RemoveService(ServiceName),
    Note(String),
    Resolve(Option<String>),
    Close,
    /// `set FIELD VALUE`: a custom field, as typed.
    SetField {
        field: String,
        value: String,
    },
    /// `action KIND [TEXT]`: what the responders did.
    RecordAction {
        kind: String,
        text: Option<String>,
    },
}

/// Why an action was refused; each says what to do instead when rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The incident is closed: only notes, follow-ups and the retrospective remain.
    Closed,
    /// `resolve` on a resolved incident.
    AlreadyResolved,
    /// `close` before `resolve`.
    NotResolved,
    /// The incident already is what was asked (same status, severity, service…).
    Unchanged,
    /// `service remove` of a service the incident does not affect.
    ServiceNotAffected(ServiceName),
    /// The action is for the people running the incident; these may do it.
    NotPermitted { allowed: Vec<UserId> },
    /// `set` of a field the policy does not have; these are the fields.
    UnknownField { fields: Vec<String> },
    /// `set` of a value that does not fit the field.
    FieldMisfit { field: String, misfit: Misfit },
    /// `action` of a kind the policy does not have; these are the kinds.
    UnknownActionKind { kinds: Vec<String> },
}

/// Who holds which role in an incident (besides the lead, kept on the incident).
pub type RoleHolders = [(RoleName, UserId)];

/// What changed, for the timeline and for the announcements that follow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Updated {
        text: String,
        status: Option<(IncidentStatus, IncidentStatus)>,
    },
    StatusChanged {
        from: IncidentStatus,
        to: IncidentStatus,
    },
    Reopened {
        to: IncidentStatus,
    },
    SeverityChanged {
        from: SeverityName,
        to: SeverityName,
        lowered: bool,
    },
    RoleAssigned {
        role: RoleName,
        user: UserId,
    },
    TitleChanged {
        to: String,
    },
    ImpactChanged {
        to: String,
    },
    ServiceAdded(ServiceName),
    ServiceRemoved(ServiceName),
    Noted {
        text: String,
    },
    Resolved {
        summary: Option<String>,
        duration: chrono::Duration,
    },
    Closed,
    /// A custom field set to `value` (as stored).
    FieldSet {
        field: String,
        value: String,
    },
    /// A response action of `kind` (as the policy spells it).
    ActionTaken {
        kind: String,
        text: Option<String>,
    },
}

impl Change {
    /// The kind of timeline entry that records this change (for logs; the entry itself is
    /// `TimelineEntry::from(&change)`).
    pub fn kind(&self) -> TimelineKind {
        match self {
            Change::Updated { .. } => TimelineKind::Update,
            Change::StatusChanged { .. } => TimelineKind::StatusChanged,
            Change::Reopened { .. } => TimelineKind::Reopened,
            Change::SeverityChanged { .. } => TimelineKind::SeverityChanged,
            Change::RoleAssigned { .. } => TimelineKind::RoleAssigned,
            Change::TitleChanged { .. } => TimelineKind::TitleChanged,
            Change::ImpactChanged { .. } => TimelineKind::ImpactChanged,
            Change::ServiceAdded(_) => TimelineKind::ServiceAdded,
            Change::ServiceRemoved(_) => TimelineKind::ServiceRemoved,
            Change::Noted { .. } => TimelineKind::Note,
            Change::Resolved { .. } => TimelineKind::Resolved,
            Change::Closed => TimelineKind::Closed,
            Change::FieldSet { .. } => TimelineKind::FieldSet,
            Change::ActionTaken { .. } => TimelineKind::ResponseAction,
        }
    }

    /// A status update in the contract's sense (an update, a status or severity change):
    /// it resets the reminder clock.
    pub fn is_status_update(&self) -> bool {
        matches!(
            self,
            Change::Updated { .. }
                | Change::StatusChanged { .. }
                | Change::Reopened { .. }
                | Change::SeverityChanged { .. }
        )
    }

    /// The first human action after declaring counts as the acknowledgement (MTTA).
    pub fn acknowledges(&self) -> bool {
        match self {
            Change::RoleAssigned { role, .. } => role.as_str() == "lead",
            other => matches!(other, Change::Updated { .. } | Change::StatusChanged { .. } | Change::Reopened { .. }),
        }
    }
}

/// The outcome of an accepted action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The incident after the action.
    pub incident: Incident,
    pub change: Change,
}

/// Lower index = more severe.
fn rank(policy: &Policy, severity: &SeverityName) -> usize {
    policy.severities.iter().position(|s| s.name == *severity).unwrap_or(usize::MAX)
}

/// The people who may lower severity, remove services, resolve and close: the reporter, the
/// lead, role holders, the affected services' responders and the policy's admins.
pub fn runners(incident: &Incident, roles: &RoleHolders, policy: &Policy) -> Vec<UserId> {
    let mut people = vec![incident.reporter.clone()];
    people.extend(incident.lead.clone());
    people.extend(roles.iter().map(|(_, user)| user.clone()));
    for name in &incident.services {
        if let Some(service) = policy.service(name.as_str()) {
            people.extend(service.responders.iter().cloned());
        }
    }
    people.extend(policy.admins.iter().cloned());
    let mut unique = Vec::new();
    for person in people {
        if !unique.contains(&person) {
            unique.push(person);
        }
    }
    unique
}

fn permitted(incident: &Incident, roles: &RoleHolders, actor: &UserId, policy: &Policy) -> Result<(), Refusal> {
    let allowed = runners(incident, roles, policy);
    if allowed.contains(actor) { Ok(()) } else { Err(Refusal::NotPermitted { allowed }) }
}

/// Applies `action` by `actor` at `now`.
pub fn decide(
    incident: &Incident,
    roles: &RoleHolders,
    action: Action,
    actor: &UserId,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Result<Decision, Refusal> {
    let closed = incident.status == IncidentStatus::Closed;
    if closed && !matches!(action, Action::Note(_)) {
        return Err(Refusal::Closed);
    }
    let mut next = incident.clone();
    let change = match action {
        Action::Note(text) => Change::Noted { text },
        Action::Update { text, status } => {
            let moved = status.filter(|s| *s != incident.status && s.is_open()).map(|to| (incident.status, to));
            if let Some((_, to)) = moved {
                next.status = to;
            }
            next.last_update_at = now;
            Change::Updated { text, status: moved }
        }
        Action::SetStatus(to) => {
            if to == incident.status || !to.is_open() {
                return Err(Refusal::Unchanged);
            }
            next.status = to;
            next.last_update_at = now;
            if incident.status == IncidentStatus::Resolved {
                Change::Reopened { to }
            } else {
                Change::StatusChanged { from: incident.status, to }
            }
        }
        Action::SetSeverity(to) => {
            if to == incident.severity {
                return Err(Refusal::Unchanged);
            }
            let lowered = rank(policy, &to) > rank(policy, &incident.severity);
            if lowered {
                permitted(incident, roles, actor, policy)?;
            }
            next.severity = to.clone();
            next.last_update_at = now;
            Change::SeverityChanged { from: incident.severity.clone(), to, lowered }
        }
        Action::AssignRole { role, user } => {
            if role.as_str() == "lead" {
                if incident.lead.as_ref() == Some(&user) {
                    return Err(Refusal::Unchanged);
                }
                next.lead = Some(user.clone());
            } else if roles.iter().any(|(r, u)| *r == role && *u == user) {
                return Err(Refusal::Unchanged);
            }
            Change::RoleAssigned { role, user }
        }
        Action::SetTitle(to) => {
            next.title = to.clone();
            Change::TitleChanged { to }
        }
        Action::SetImpact(to) => {
            next.impact = Some(to.clone());
            Change::ImpactChanged { to }
        }
        Action::AddService(service) => {
            if incident.services.contains(&service) {
                return Err(Refusal::Unchanged);
            }
            next.services.push(service.clone());
            Change::ServiceAdded(service)
        }
        Action::RemoveService(service) => {
            if !incident.services.contains(&service) {
                return Err(Refusal::ServiceNotAffected(service));
            }
            permitted(incident, roles, actor, policy)?;
            next.services.retain(|s| *s != service);
            Change::ServiceRemoved(service)
        }
        Action::Resolve(summary) => {
            if incident.status == IncidentStatus::Resolved {
                return Err(Refusal::AlreadyResolved);
            }
            permitted(incident, roles, actor, policy)?;
            next.status = IncidentStatus::Resolved;
            next.last_update_at = now;
            Change::Resolved { summary, duration: now - incident.declared_at }
        }
        Action::Close => {
            if incident.status != IncidentStatus::Resolved {
                return Err(Refusal::NotResolved);
            }
            permitted(incident, roles, actor, policy)?;
            next.status = IncidentStatus::Closed;
            Change::Closed
        }
        Action::SetField { field, value } => {
            let Some(known) = policy.field(&field) else {
                return Err(Refusal::UnknownField { fields: policy.fields.iter().map(|f| f.name.clone()).collect() });
            };
            let value =
                known.accept(&value).map_err(|misfit| Refusal::FieldMisfit { field: known.name.clone(), misfit })?;
            Change::FieldSet { field: known.name.clone(), value }
        }
        Action::RecordAction { kind, text } => {
            let Some(known) = policy.action_kind(&kind) else {
                return Err(Refusal::UnknownActionKind { kinds: policy.actions.clone() });
            };
            let text = text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
            Change::ActionTaken { kind: known.to_owned(), text }
        }
    };
    next.timers = reminders::after_change(&incident.timers, &change, next.status, &next.severity, policy, now);
    Ok(Decision { incident: next, change })
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod tests;
