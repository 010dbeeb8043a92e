//! Similar past incidents: which past incidents are most like a new one, scored as the
//! contract says — 3 per shared alert name, 2 per shared service, 1 per shared title or impact
//! word; never a score of 0; ties go to the most recent. Pure: the store finds the candidates
//! (past, not private, sharing something), this decides.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::incident::{Incident, IncidentId};
use super::search::telling_words;

/// A past incident as a list shows it (similar incidents, search results).
#[derive(Clone, Debug)]
pub struct PastIncident {
    pub incident: Incident,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The kind of its first response action, when one was recorded.
    pub first_action: Option<String>,
    /// The retrospective's link, when it was published with one.
    pub retrospective: Option<String>,
}

/// At most this many similar incidents are shown.
pub const SHOWN: usize = 3;

/// What a new incident is compared by.
#[derive(Clone, Debug, Default)]
pub struct Probe {
    pub services: BTreeSet<String>,
    pub alerts: BTreeSet<String>,
    pub words: BTreeSet<String>,
}

impl Probe {
    /// The incident's services, its alerts' names, and its title and impact words.
    pub fn of(incident: &Incident, alerts: BTreeSet<String>) -> Probe {
        Probe {
            services: incident.services.iter().map(|s| s.as_str().to_lowercase()).collect(),
            alerts,
            words: words_of(incident),
        }
    }
}

/// The telling words of an incident's title and impact.
pub fn words_of(incident: &Incident) -> BTreeSet<String> {
    let mut words = telling_words(&incident.title);
    if let Some(impact) = &incident.impact {
        words.extend(telling_words(impact));
    }
    words
}

/// How alike `candidate` (with its alert names) is to the probe.
pub fn score(probe: &Probe, candidate: &Incident, alerts: &BTreeSet<String>) -> u32 {
    let shared_alerts = probe.alerts.intersection(alerts).count();
    let shared_services =
        candidate.services.iter().filter(|s| probe.services.contains(&s.as_str().to_lowercase())).count();
    let shared_words = probe.words.intersection(&words_of(candidate)).count();
    u32::try_from(3 * shared_alerts + 2 * shared_services + shared_words).unwrap_or(u32::MAX)
}

/// The most similar of `candidates`, best first, at most [`SHOWN`]; none that share nothing,
/// and never a private incident or a drill (the store leaves them out already; practice is
/// not history to learn from).
pub fn choose<'a>(
    probe: &Probe,
    candidates: impl IntoIterator<Item = (&'a Incident, &'a BTreeSet<String>)>,
) -> Vec<IncidentId> {
    let mut scored: Vec<(u32, &Incident)> = candidates
        .into_iter()
        .filter(|(incident, _)| !incident.private && !incident.drill)
        .map(|(incident, alerts)| (score(probe, incident, alerts), incident))
        .filter(|(score, _)| *score > 0)
        .collect();
    scored.sort_by(|(a, x), (b, y)| b.cmp(a).then(y.declared_at.cmp(&x.declared_at)).then(y.id.get().cmp(&x.id.get())));
    scored.into_iter().take(SHOWN).map(|(_, incident)| incident.id).collect()
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::domain::ids::UserId;
    use crate::domain::incident::{IncidentNumber, IncidentStatus, ServiceName, SeverityName};

    fn incident(id: i64, title: &str, services: &[&str], day: u32) -> Incident {
        Incident {
            id: IncidentId::from_stored(id),
            number: IncidentNumber(id),
            title: title.to_owned(),
            severity: SeverityName("SEV2".to_owned()),
            status: IncidentStatus::Resolved,
            private: false,
            drill: false,
            reporter: UserId::parse("U0REPORTER").unwrap(),
            lead: None,
            impact: None,
            description: None,
            services: services.iter().map(|s| ServiceName((*s).to_owned())).collect(),
            channel: None,
            channel_name: None,
            channel_attempt: 1,
            summary_ts: None,
            declared_at: Utc.with_ymd_and_hms(2026, 11, day, 9, 0, 0).unwrap(),
            last_update_at: Utc.with_ymd_and_hms(2026, 11, day, 9, 0, 0).unwrap(),
            version: 1,
            timers: Default::default(),
            last_reminder_ts: None,
        }
    }

    #[test]
    fn alerts_weigh_three_services_two_and_words_one() {
        let new = incident(10, "Card payments declined", &["payments"], 20);
        let probe = Probe::of(&new, BTreeSet::from(["PaymentsErrorRate".to_owned()]));
        let none = BTreeSet::new();
        let alerted = BTreeSet::from(["PaymentsErrorRate".to_owned()]);
        assert_eq!(score(&probe, &incident(1, "Search is slow", &["search"], 1), &none), 0);
        assert_eq!(score(&probe, &incident(2, "Search is slow", &["payments"], 1), &none), 2);
        assert_eq!(score(&probe, &incident(3, "Card declined", &["search"], 1), &none), 2, "card, declin");
        assert_eq!(score(&probe, &incident(4, "Search is slow", &["search"], 1), &alerted), 3);
        assert_eq!(score(&probe, &incident(5, "Payments declined", &["payments"], 1), &alerted), 3 + 2 + 2);
    }

    #[test]
    fn the_best_three_are_chosen_ties_to_the_most_recent_and_never_a_zero() {
        let new = incident(10, "Card payments declined", &["payments"], 20);
        let probe = Probe::of(&new, BTreeSet::new());
        let past = [
            incident(1, "Payments declined", &["payments"], 1), // 2 + 2 = 4
            incident(2, "Refunds slow", &["payments"], 2),      // 2
            incident(3, "Refunds slow", &["payments"], 3),      // 2, more recent than 2
            incident(4, "Search is slow", &["search"], 4),      // 0
            incident(5, "Card payments declined", &[], 5),      // 3
        ];
        let none = BTreeSet::new();
        let chosen = choose(&probe, past.iter().map(|i| (i, &none)));
        let numbers: Vec<i64> = chosen.iter().map(|id| id.get()).collect();
        assert_eq!(numbers, [1, 5, 3]);
        let only_unrelated = [incident(4, "Search is slow", &["search"], 4)];
        assert!(choose(&probe, only_unrelated.iter().map(|i| (i, &none))).is_empty());
    }

    #[test]
    fn a_drill_or_a_private_incident_is_never_chosen_however_alike() {
        let new = incident(10, "Card payments declined", &["payments"], 20);
        let probe = Probe::of(&new, BTreeSet::new());
        let drill = Incident { drill: true, ..incident(1, "Card payments declined", &["payments"], 1) };
        let private = Incident { private: true, ..incident(2, "Card payments declined", &["payments"], 2) };
        let real = incident(3, "Payments slow", &["payments"], 3);
        let none = BTreeSet::new();
        let chosen = choose(&probe, [&drill, &private, &real].into_iter().map(|i| (i, &none)));
        assert_eq!(chosen, [IncidentId::from_stored(3)]);
    }

    #[test]
    fn korean_words_match_whatever_their_particle() {
        let new = incident(10, "결제가 실패합니다", &[], 20);
        let probe = Probe::of(&new, BTreeSet::new());
        assert_eq!(score(&probe, &incident(1, "결제를 못 합니다", &[], 1), &BTreeSet::new()), 1);
    }
}
