//! The external pagers this install sends to: those the policy turns on, with the keys the
//! environment gives. Built once at start; a pager turned on without its key is an error
//! then, not a page lost later.

use crate::config::env::PagerSettings;
use crate::domain::policy::Policy;
use crate::pagers::{Opsgenie, PagerDuty};

/// The clients of the pagers in use (none by default).
#[derive(Clone, Debug, Default)]
pub struct Outlets {
    pub pagerduty: Option<PagerDuty>,
    pub opsgenie: Option<Opsgenie>,
}

impl Outlets {
    /// The pagers `policy` turns on, with their keys from `settings`; also the warnings for a
    /// key given to a pager the policy leaves off.
    pub fn new(policy: &Policy, settings: &PagerSettings) -> anyhow::Result<(Outlets, Vec<String>)> {
        let mut warnings = Vec::new();
        let pagerduty = match (&settings.pagerduty_key, policy.paging.pagerduty) {
            (Some(key), true) => Some(PagerDuty::new(&settings.pagerduty_url, key.clone())?),
            (None, true) => anyhow::bail!(
                "paging.pagerduty = true in the policy, but PAGERDUTY_ROUTING_KEY is not set; set it to the service's Events API v2 integration key, or turn paging.pagerduty off"
            ),
            (Some(_), false) => {
                warnings
                    .push("PAGERDUTY_ROUTING_KEY is set but unused: the policy's paging.pagerduty is off".to_owned());
                None
            }
            (None, false) => None,
        };
        let opsgenie = match (&settings.opsgenie_key, policy.paging.opsgenie) {
            (Some(key), true) => Some(Opsgenie::new(&settings.opsgenie_url, key.clone())?),
            (None, true) => anyhow::bail!(
                "paging.opsgenie = true in the policy, but OPSGENIE_API_KEY is not set; set it to an API integration's key, or turn paging.opsgenie off"
            ),
            (Some(_), false) => {
                warnings.push("OPSGENIE_API_KEY is set but unused: the policy's paging.opsgenie is off".to_owned());
                None
            }
            (None, false) => None,
        };
        Ok((Outlets { pagerduty, opsgenie }, warnings))
    }
}
