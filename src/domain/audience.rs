//! Who is told about an incident: narrow or broad sharing from the severity and the service
//! dependency graph.
//!
//! Narrow is the team channels of the affected services, then of every service that depends
//! on them directly or transitively. Broad adds the announcements channel, carrying the
//! severity's mass mention. A private incident is told to nobody, and so is a drill: practice
//! must not alarm anyone outside its channel, at any severity. Order matters: the affected
//! teams hear first.

use std::collections::{HashSet, VecDeque};

use crate::domain::ids::ChannelId;
use crate::domain::incident::{Incident, ServiceName, SeverityName};
use crate::domain::policy::{Mention, Policy, Share};

/// Why a channel is in the audience.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The team of an affected service.
    Affected(ServiceName),
    /// The team of a service that depends on an affected one.
    Dependent(ServiceName),
    /// The announcements channel of a broad incident.
    Announcements,
}

/// One channel to tell, and the mention its notice carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    pub channel: ChannelId,
    pub reason: Reason,
    pub mention: Mention,
}

/// The channels to tell about `incident` as it stands, in order, without repeats: none for a
/// private incident or a drill.
pub fn audience_of(policy: &Policy, incident: &Incident) -> Vec<Recipient> {
    audience(policy, &incident.severity, &incident.services, incident.stays_in_its_channel())
}

/// The channels to tell, in order, without repeats; `in_channel_only` (a private incident, a
/// drill) tells nobody.
pub fn audience(
    policy: &Policy,
    severity: &SeverityName,
    services: &[ServiceName],
    in_channel_only: bool,
) -> Vec<Recipient> {
    if in_channel_only {
        return Vec::new();
    }
    let mut out: Vec<Recipient> = Vec::new();
    let mut push = |channel: Option<&ChannelId>, reason: Reason, mention: Mention| {
        if let Some(channel) = channel
            && !out.iter().any(|r| &r.channel == channel)
        {
            out.push(Recipient { channel: channel.clone(), reason, mention });
        }
    };
    for name in services {
        if let Some(service) = policy.service(name.as_str()) {
            push(service.team_channel.as_ref(), Reason::Affected(service.name.clone()), Mention::None);
        }
    }
    for dependent in dependents(policy, services) {
        if let Some(service) = policy.service(dependent.as_str()) {
            push(service.team_channel.as_ref(), Reason::Dependent(service.name.clone()), Mention::None);
        }
    }
    let level = policy.severity(severity.as_str());
    if level.is_some_and(|s| s.share == Share::Broad) {
        let mention = level.map_or(Mention::None, |s| s.mention);
        push(policy.channels.announcements.as_ref(), Reason::Announcements, mention);
    }
    out
}

/// Services that depend on any of `affected`, directly or through others, nearest first.
pub fn dependents(policy: &Policy, affected: &[ServiceName]) -> Vec<ServiceName> {
    let mut seen: HashSet<&str> = affected.iter().map(|s| s.as_str()).collect();
    let mut queue: VecDeque<&ServiceName> = affected.iter().collect();
    let mut out = Vec::new();
    while let Some(current) = queue.pop_front() {
        for service in &policy.services {
            if service.depends_on.iter().any(|d| d == current) && seen.insert(service.name.as_str()) {
                out.push(service.name.clone());
                queue.push_back(&service.name);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::policy::parse_str;
    use crate::config::policy::testing::contract_policy;

    fn names(recipients: &[Recipient]) -> Vec<&str> {
        recipients.iter().map(|r| r.channel.as_str()).collect()
    }

    fn sev(name: &str) -> SeverityName {
        SeverityName(name.to_owned())
    }

    fn svc(name: &str) -> ServiceName {
        ServiceName(name.to_owned())
    }

    #[test]
    fn a_sev1_on_payments_reaches_payments_then_checkout_then_announcements_with_here() {
        let recipients = audience(&contract_policy(), &sev("SEV1"), &[svc("payments")], false);
        assert_eq!(names(&recipients), ["C0PAYMENTS", "C0CHECKOUT", "C0INCIDENTS"]);
        assert_eq!(recipients[2].mention, Mention::Here);
        assert_eq!(recipients[0].mention, Mention::None);
        assert_eq!(recipients[1].reason, Reason::Dependent(svc("checkout")));
    }

    #[test]
    fn a_sev3_on_checkout_stays_with_checkouts_team() {
        let recipients = audience(&contract_policy(), &sev("SEV3"), &[svc("checkout")], false);
        assert_eq!(names(&recipients), ["C0CHECKOUT"]);
    }

    #[test]
    fn a_private_incident_reaches_nobody() {
        assert!(audience(&contract_policy(), &sev("SEV1"), &[svc("payments")], true).is_empty());
    }

    #[test]
    fn a_sev1_drill_on_payments_reaches_nobody_while_the_real_one_reaches_everyone() {
        let mut incident = crate::render::api_test_incident(chrono::Utc::now());
        incident.severity = sev("SEV1");
        incident.services = vec![svc("payments")];
        assert_eq!(names(&audience_of(&contract_policy(), &incident)), ["C0PAYMENTS", "C0CHECKOUT", "C0INCIDENTS"]);
        incident.drill = true;
        assert!(audience_of(&contract_policy(), &incident).is_empty());
        incident.drill = false;
        incident.private = true;
        assert!(audience_of(&contract_policy(), &incident).is_empty());
    }

    #[test]
    fn a_broad_incident_without_services_reaches_announcements_only() {
        assert_eq!(names(&audience(&contract_policy(), &sev("SEV2"), &[], false)), ["C0INCIDENTS"]);
    }

    #[test]
    fn dependents_are_found_transitively_and_told_once() {
        let policy = parse_str(
            r#"
            [[services]]
            name = "db"
            team_channel = "C0DB"
            [[services]]
            name = "api"
            team_channel = "C0API"
            depends_on = ["db"]
            [[services]]
            name = "web"
            team_channel = "C0API"
            depends_on = ["api"]
            [[services]]
            name = "mobile"
            team_channel = "C0MOBILE"
            depends_on = ["api", "db"]
            [[services]]
            name = "search"
            team_channel = "C0SEARCH"
            "#,
            "graph.toml",
        )
        .unwrap()
        .0;
        assert_eq!(dependents(&policy, &[svc("db")]), [svc("api"), svc("mobile"), svc("web")]);
        assert_eq!(names(&audience(&policy, &sev("SEV3"), &[svc("db")], false)), ["C0DB", "C0API", "C0MOBILE"]);
        assert_eq!(names(&audience(&policy, &sev("SEV4"), &[svc("search")], false)), ["C0SEARCH"]);
    }
}
