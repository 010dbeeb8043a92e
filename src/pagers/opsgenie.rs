//! Opsgenie's Alert API: create an alert, then acknowledge and close it by its alias.
//!
//! Checked against "Alert API" (docs.opsgenie.com/docs/alert-api) and "Response"
//! (docs.opsgenie.com/docs/response): every request carries `Authorization: GenieKey <key>`;
//! create is `POST /v2/alerts` with `message` required and at most 130 characters, `alias` at
//! most 512 (the key of Opsgenie's de-duplication: creating an open alias again adds to that
//! alert's count), `description` at most 15000, `priority` `P1`..`P5`, `source`, `details` (a
//! map of strings), `note`; acknowledge and close are
//! `POST /v2/alerts/{alias}/acknowledge|close?identifierType=alias` with `{user?, source?,
//! note?}`. Valid requests answer 202 `{"result":"Request will be processed","took":…,
//! "requestId":…}` and are processed later: acknowledging an alias that does not exist is still
//! a 202, its failure only visible at `GET /v2/alerts/requests/{requestId}` ("Alert does not
//! exist"), which firebell does not poll. A bad key is 401 (403 for a key without the right),
//! a malformed JSON body 400, a semantic error 422, throttling 429.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context;
use reqwest::Url;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::PagerError;
use super::outcome::sort;
use crate::domain::text::truncate_chars;

/// Opsgenie's limit on an alert's `message`: the title is cut to it.
pub const MESSAGE_MAX_CHARS: usize = 130;
/// Opsgenie's limit on `description`.
const DESCRIPTION_MAX_CHARS: usize = 15_000;
/// Opsgenie's limit on a `note`.
const NOTE_MAX_CHARS: usize = 25_000;
/// How long one request may take, connection included; the outbox retries after.
const TIMEOUT: Duration = Duration::from_secs(10);
/// What Opsgenie shows as the source of acknowledgements and closes.
const SOURCE: &str = "firebell";

/// The Alert API client for one API integration's key.
#[derive(Debug, Clone)]
pub struct Opsgenie {
    http: reqwest::Client,
    base: Url,
    api_key: SecretString,
}

/// Opsgenie's five priorities; firebell maps the policy's severities onto them by rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpsgeniePriority {
    P1,
    P2,
    P3,
    P4,
    P5,
}

impl OpsgeniePriority {
    /// The policy's first severity (rank 0) is `P1`, the second `P2`, …, the fifth and every
    /// later one `P5`.
    pub fn for_policy_rank(rank: usize) -> OpsgeniePriority {
        match rank {
            0 => OpsgeniePriority::P1,
            1 => OpsgeniePriority::P2,
            2 => OpsgeniePriority::P3,
            3 => OpsgeniePriority::P4,
            _ => OpsgeniePriority::P5,
        }
    }

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            OpsgeniePriority::P1 => "P1",
            OpsgeniePriority::P2 => "P2",
            OpsgeniePriority::P3 => "P3",
            OpsgeniePriority::P4 => "P4",
            OpsgeniePriority::P5 => "P5",
        }
    }
}

/// The alert created for an incident. `alias` is unique per incident and the same on every
/// retry, so a repeated create is de-duplicated by Opsgenie, and it is how the alert is
/// acknowledged and closed later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpsgenieAlert {
    /// At most 512 characters (ours are short ids).
    pub alias: String,
    /// The incident's title; cut to [`MESSAGE_MAX_CHARS`] when sent.
    pub message: String,
    pub description: String,
    pub priority: OpsgeniePriority,
    /// The service's name.
    pub source: String,
    /// Shown on the alert as key-value pairs (Opsgenie takes strings only).
    pub details: BTreeMap<String, String>,
}

impl OpsgenieAlert {
    /// The JSON body of `POST /v2/alerts`.
    fn body(&self) -> Value {
        let mut body = json!({
            "alias": self.alias,
            "message": truncate_chars(&self.message, MESSAGE_MAX_CHARS),
            "priority": self.priority.as_str(),
            "source": self.source,
        });
        if !self.description.is_empty() {
            body["description"] = json!(truncate_chars(&self.description, DESCRIPTION_MAX_CHARS));
        }
        if !self.details.is_empty() {
            body["details"] = json!(self.details);
        }
        body
    }
}

/// The body of an acknowledge or close: who did it is in the note.
fn action_body(note: &str) -> Value {
    let mut body = json!({"source": SOURCE});
    if !note.is_empty() {
        body["note"] = json!(truncate_chars(note, NOTE_MAX_CHARS));
    }
    body
}

impl Opsgenie {
    /// A client for the Alert API at `base_url` (`https://api.opsgenie.com`, the EU instance
    /// `https://api.eu.opsgenie.com`, or a local fake; a trailing `/` is ignored).
    pub fn new(base_url: &str, api_key: SecretString) -> anyhow::Result<Opsgenie> {
        let base = Url::parse(base_url.trim_end_matches('/'))
            .with_context(|| format!("FIREBELL_OPSGENIE_URL is not a URL: {base_url:?}"))?;
        anyhow::ensure!(!base.cannot_be_a_base(), "FIREBELL_OPSGENIE_URL cannot take a path: {base_url:?}");
        let http = reqwest::Client::builder().timeout(TIMEOUT).build().context("building the Opsgenie client")?;
        Ok(Opsgenie { http, base, api_key })
    }

    /// Creates the alert (or adds to the open one with the same alias). Success means Opsgenie
    /// accepted the request (202); failures are sorted into [`PagerError`] and not retried here.
    pub async fn create(&self, alert: &OpsgenieAlert) -> Result<(), PagerError> {
        self.post(self.url(&[]), &alert.body()).await
    }

    /// Acknowledges the alert with this alias, with `note` (empty for none) on it.
    pub async fn acknowledge(&self, alias: &str, note: &str) -> Result<(), PagerError> {
        self.post(self.alias_url(alias, "acknowledge"), &action_body(note)).await
    }

    /// Closes the alert with this alias, with `note` (empty for none) on it.
    pub async fn close(&self, alias: &str, note: &str) -> Result<(), PagerError> {
        self.post(self.alias_url(alias, "close"), &action_body(note)).await
    }

    async fn post(&self, url: Url, body: &Value) -> Result<(), PagerError> {
        let mut auth = HeaderValue::from_str(&format!("GenieKey {}", self.api_key.expose_secret()))
            .map_err(|_| PagerError::Refused("OPSGENIE_API_KEY has characters a header cannot carry".into()))?;
        auth.set_sensitive(true);
        sort(self.http.post(url).header(AUTHORIZATION, auth).json(body).send().await).await
    }

    /// `{base}/v2/alerts/{segments…}`, each segment percent-encoded (an alias may hold `/`).
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        // `new` refused a base that cannot take a path, so this always applies.
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(["v2", "alerts"]).extend(segments);
        }
        url
    }

    fn alias_url(&self, alias: &str, action: &str) -> Url {
        let mut url = self.url(&[alias, action]);
        url.set_query(Some("identifierType=alias"));
        url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> Opsgenie {
        Opsgenie::new(base, SecretString::from("og-test-key")).unwrap()
    }

    fn alert(message: &str) -> OpsgenieAlert {
        OpsgenieAlert {
            alias: "firebell-incident-42".into(),
            message: message.into(),
            description: "Declared by <@U1> in #inc-42".into(),
            priority: OpsgeniePriority::P1,
            source: "checkout".into(),
            details: BTreeMap::from([("incident".to_owned(), "42".to_owned())]),
        }
    }

    #[test]
    fn a_create_carries_alias_message_priority_source_and_details() {
        assert_eq!(
            alert("결제 장애").body(),
            json!({
                "alias": "firebell-incident-42",
                "message": "결제 장애",
                "description": "Declared by <@U1> in #inc-42",
                "priority": "P1",
                "source": "checkout",
                "details": {"incident": "42"},
            })
        );
    }

    #[test]
    fn a_131_character_korean_title_is_cut_to_130_characters() {
        let title = "장".repeat(131);
        let body = alert(&title).body();
        let message = body["message"].as_str().unwrap_or_default();
        assert_eq!(message.chars().count(), MESSAGE_MAX_CHARS);
        assert!(message.ends_with('…'));
        let exact = "장".repeat(130);
        assert_eq!(alert(&exact).body()["message"], json!(exact));
    }

    #[test]
    fn acknowledge_and_close_bodies_name_firebell_and_carry_the_note() {
        assert_eq!(action_body("by <@U1>"), json!({"source": "firebell", "note": "by <@U1>"}));
        assert_eq!(action_body(""), json!({"source": "firebell"}));
    }

    #[test]
    fn the_alias_is_percent_encoded_in_the_path_and_identified_as_an_alias() {
        let url = client("https://api.opsgenie.com/").alias_url("inc 42/a?b#c%", "acknowledge");
        assert_eq!(
            url.as_str(),
            "https://api.opsgenie.com/v2/alerts/inc%2042%2Fa%3Fb%23c%25/acknowledge?identifierType=alias"
        );
    }

    #[test]
    fn a_base_with_a_path_keeps_it() {
        let url = client("http://127.0.0.1:9/opsgenie/").url(&[]);
        assert_eq!(url.as_str(), "http://127.0.0.1:9/opsgenie/v2/alerts");
    }

    #[test]
    fn priorities_follow_the_policys_order() {
        let mapped: Vec<&str> = (0..7).map(|rank| OpsgeniePriority::for_policy_rank(rank).as_str()).collect();
        assert_eq!(mapped, ["P1", "P2", "P3", "P4", "P5", "P5", "P5"]);
    }

    #[test]
    fn the_key_does_not_show_in_debug_output_and_a_bad_base_is_an_error() {
        assert!(!format!("{:?}", client("https://api.opsgenie.com")).contains("og-test-key"));
        assert!(Opsgenie::new("mailto:x@example.com", SecretString::from("k")).is_err());
        assert!(Opsgenie::new("nope", SecretString::from("k")).is_err());
    }
}
