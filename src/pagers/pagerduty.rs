//! PagerDuty's Events API v2: one `POST {base}/v2/enqueue` per event, the routing key in the body.
//!
//! Checked against "Send an Alert Event" (developer.pagerduty.com; `docs/events-API-v2/
//! 02-Trigger-Events.md` in PagerDuty/developer-docs): `routing_key` is "the 32 character
//! Integration Key"; `event_action` is `trigger`, `acknowledge` or `resolve`; `dedup_key` is at
//! most 255 characters and correlates the three (a trigger for an open alert with the same key is
//! added to it, acknowledge/resolve of no open alert are dropped); a trigger needs
//! `payload.summary` (at most 1024 characters), `payload.source` and `payload.severity`
//! (`critical`, `error`, `warning`, `info`); `links` are `{href, text}`; `client` and
//! `client_url` are optional. The answer is 202 `{"status":"success","message":"Event processed",
//! "dedup_key":…}`, or 400 `{"status":"invalid event","message":"Event object is invalid",
//! "errors":[…]}`, or 429 when throttled (about 120 events a minute per key, "05-Rate-Limits.md").

use std::time::Duration;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::PagerError;
use super::outcome::sort;
use crate::domain::text::truncate_chars;

/// PagerDuty's limit on `payload.summary`; a longer title is cut rather than refused.
pub const SUMMARY_MAX_CHARS: usize = 1024;
/// The length of an Events API v2 integration (routing) key.
const ROUTING_KEY_LEN: usize = 32;
/// How long one event may take, connection included; the outbox retries after.
const TIMEOUT: Duration = Duration::from_secs(10);
/// What PagerDuty shows as the event's sender.
const CLIENT: &str = "firebell";

/// Whether `key` looks like an Events API v2 integration key: 32 ASCII letters and digits.
/// The server checks this at start so a pasted-wrong key is an error then, not at the first page.
pub fn routing_key_is_well_formed(key: &str) -> bool {
    key.len() == ROUTING_KEY_LEN && key.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The Events API v2 client for one routing key (one PagerDuty service integration).
#[derive(Debug, Clone)]
pub struct PagerDuty {
    http: reqwest::Client,
    enqueue_url: String,
    routing_key: SecretString,
}

/// PagerDuty's four severities; firebell maps the policy's severities onto them by rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagerDutySeverity {
    Critical,
    Error,
    Warning,
    Info,
}

impl PagerDutySeverity {
    /// The policy's first severity (rank 0) is `critical`, the second `error`, the third
    /// `warning`, every later one `info`.
    pub fn for_policy_rank(rank: usize) -> PagerDutySeverity {
        match rank {
            0 => PagerDutySeverity::Critical,
            1 => PagerDutySeverity::Error,
            2 => PagerDutySeverity::Warning,
            _ => PagerDutySeverity::Info,
        }
    }

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            PagerDutySeverity::Critical => "critical",
            PagerDutySeverity::Error => "error",
            PagerDutySeverity::Warning => "warning",
            PagerDutySeverity::Info => "info",
        }
    }
}

/// A link shown on the PagerDuty alert (the incident's Slack channel, its dashboard page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagerDutyLink {
    pub href: String,
    pub text: String,
}

/// One event about the incident's alert. `dedup_key` is unique per incident and the same on
/// every retry and every later action, so a repeated trigger is deduplicated by PagerDuty.
#[derive(Debug, Clone, PartialEq)]
pub enum PagerDutyEvent {
    /// Opens the alert (or adds to the open one with this key).
    Trigger {
        dedup_key: String,
        /// The incident's title; cut to [`SUMMARY_MAX_CHARS`] when sent.
        summary: String,
        /// Where the problem is: the service's name.
        source: String,
        severity: PagerDutySeverity,
        links: Vec<PagerDutyLink>,
        /// Shown on the alert as is (`payload.custom_details`); `Value::Null` sends none.
        custom_details: Value,
    },
    /// Someone is on it: stops PagerDuty's notifications for the alert.
    Acknowledge { dedup_key: String },
    /// The incident is resolved: closes the alert.
    Resolve { dedup_key: String },
}

impl PagerDutyEvent {
    /// The wire value of `event_action`.
    pub fn action(&self) -> &'static str {
        match self {
            PagerDutyEvent::Trigger { .. } => "trigger",
            PagerDutyEvent::Acknowledge { .. } => "acknowledge",
            PagerDutyEvent::Resolve { .. } => "resolve",
        }
    }

    pub fn dedup_key(&self) -> &str {
        match self {
            PagerDutyEvent::Trigger { dedup_key, .. }
            | PagerDutyEvent::Acknowledge { dedup_key }
            | PagerDutyEvent::Resolve { dedup_key } => dedup_key,
        }
    }

    /// The JSON body PagerDuty takes for this event, with `routing_key`.
    fn body(&self, routing_key: &str) -> Value {
        let mut body = json!({
            "routing_key": routing_key,
            "event_action": self.action(),
            "dedup_key": self.dedup_key(),
        });
        if let PagerDutyEvent::Trigger { summary, source, severity, links, custom_details, .. } = self {
            let mut payload = json!({
                "summary": truncate_chars(summary, SUMMARY_MAX_CHARS),
                "source": source,
                "severity": severity.as_str(),
            });
            if !custom_details.is_null() {
                payload["custom_details"] = custom_details.clone();
            }
            body["payload"] = payload;
            body["client"] = json!(CLIENT);
            let links: Vec<Value> = links.iter().map(|l| json!({"href": l.href, "text": l.text})).collect();
            if !links.is_empty() {
                body["links"] = Value::Array(links);
            }
        }
        body
    }
}

impl PagerDuty {
    /// A client for the Events API at `base_url` (`https://events.pagerduty.com` or a local
    /// fake; a trailing `/` is ignored). The key's shape is not checked here: see
    /// [`routing_key_is_well_formed`].
    pub fn new(base_url: &str, routing_key: SecretString) -> anyhow::Result<PagerDuty> {
        let base = base_url.trim_end_matches('/');
        reqwest::Url::parse(base).with_context(|| format!("FIREBELL_PAGERDUTY_URL is not a URL: {base_url:?}"))?;
        let http = reqwest::Client::builder().timeout(TIMEOUT).build().context("building the PagerDuty client")?;
        Ok(PagerDuty { http, enqueue_url: format!("{base}/v2/enqueue"), routing_key })
    }

    /// Sends one event. Success means PagerDuty accepted it (202); failures are sorted into
    /// [`PagerError`] and not retried here.
    pub async fn send(&self, event: &PagerDutyEvent) -> Result<(), PagerError> {
        let body = event.body(self.routing_key.expose_secret());
        sort(self.http.post(&self.enqueue_url).json(&body).send().await).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0123456789abcdefABCDEF0123456789";

    fn trigger(summary: &str) -> PagerDutyEvent {
        PagerDutyEvent::Trigger {
            dedup_key: "firebell-incident-42".into(),
            summary: summary.into(),
            source: "checkout".into(),
            severity: PagerDutySeverity::Critical,
            links: vec![PagerDutyLink {
                href: "https://slack.com/app_redirect?channel=C1".into(),
                text: "Slack".into(),
            }],
            custom_details: json!({"incident": 42}),
        }
    }

    #[test]
    fn a_trigger_carries_payload_links_and_the_dedup_key() {
        let body = trigger("결제 장애").body(KEY);
        assert_eq!(
            body,
            json!({
                "routing_key": KEY,
                "event_action": "trigger",
                "dedup_key": "firebell-incident-42",
                "client": "firebell",
                "payload": {
                    "summary": "결제 장애",
                    "source": "checkout",
                    "severity": "critical",
                    "custom_details": {"incident": 42},
                },
                "links": [{"href": "https://slack.com/app_redirect?channel=C1", "text": "Slack"}],
            })
        );
    }

    #[test]
    fn acknowledge_and_resolve_carry_only_key_action_and_dedup_key() {
        for (event, action) in [
            (PagerDutyEvent::Acknowledge { dedup_key: "k".into() }, "acknowledge"),
            (PagerDutyEvent::Resolve { dedup_key: "k".into() }, "resolve"),
        ] {
            assert_eq!(event.body(KEY), json!({"routing_key": KEY, "event_action": action, "dedup_key": "k"}));
        }
    }

    #[test]
    fn a_long_korean_summary_is_cut_to_1024_characters_not_bytes() {
        let title = "결".repeat(2_000);
        let body = trigger(&title).body(KEY);
        let summary = body["payload"]["summary"].as_str().unwrap_or_default();
        assert_eq!(summary.chars().count(), SUMMARY_MAX_CHARS);
        assert!(summary.starts_with("결결") && summary.ends_with('…'));
    }

    #[test]
    fn a_trigger_without_details_or_links_sends_neither() {
        let event = PagerDutyEvent::Trigger {
            dedup_key: "k".into(),
            summary: "s".into(),
            source: "x".into(),
            severity: PagerDutySeverity::Info,
            links: vec![],
            custom_details: Value::Null,
        };
        let body = event.body(KEY);
        assert!(body.get("links").is_none() && body["payload"].get("custom_details").is_none(), "{body}");
    }

    #[test]
    fn severities_follow_the_policys_order() {
        let mapped: Vec<&str> = (0..5).map(|rank| PagerDutySeverity::for_policy_rank(rank).as_str()).collect();
        assert_eq!(mapped, ["critical", "error", "warning", "info", "info"]);
    }

    #[test]
    fn a_routing_key_is_32_ascii_letters_and_digits() {
        assert!(routing_key_is_well_formed(KEY));
        assert!(!routing_key_is_well_formed(""));
        assert!(!routing_key_is_well_formed(&KEY[..31]));
        assert!(!routing_key_is_well_formed(&format!("{KEY}0")));
        assert!(!routing_key_is_well_formed("0123456789abcdef-BCDEF0123456789"));
        // 32 bytes but not 32 ASCII characters.
        assert!(!routing_key_is_well_formed("결결결결결결결결결결0a"));
    }

    #[test]
    fn the_base_url_may_end_with_a_slash() {
        let client = PagerDuty::new("https://events.pagerduty.com/", SecretString::from(KEY)).unwrap();
        assert_eq!(client.enqueue_url, "https://events.pagerduty.com/v2/enqueue");
        assert!(PagerDuty::new("not a url", SecretString::from(KEY)).is_err());
    }

    #[test]
    fn the_routing_key_does_not_show_in_debug_output() {
        let client = PagerDuty::new("https://events.pagerduty.com", SecretString::from(KEY)).unwrap();
        assert!(!format!("{client:?}").contains(KEY));
    }
}
