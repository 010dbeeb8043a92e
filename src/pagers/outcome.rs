//! How a pager's answer is read: a 2xx is done, anything else becomes a [`PagerError`] that says
//! whether trying again can help. Shared by both clients so they sort failures the same way.
//!
//! Checked against the services' documentation:
//! - PagerDuty, "Events API v2 Overview — Response Codes & Retry Logic"
//!   (developer.pagerduty.com, `docs/events-API-v2/01-Overview.md` in PagerDuty/developer-docs):
//!   202 accepted; 400 "check that the JSON is valid", do not retry; 429 retry after some time;
//!   500 or other 5xx and network errors, retry. No `Retry-After` is documented for 429, so it is
//!   read when present and left to the outbox's backoff otherwise.
//! - Opsgenie, "Response" (docs.opsgenie.com/docs/response): 202 "will be processed
//!   asynchronously"; 400 invalid JSON; 401 key invalid or integration disabled; 402 plan;
//!   403 permissions; 404; 422 "semantic errors in request body"; 429 too many requests; 5xx.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// A `Retry-After` longer than this is taken as this: a page must not wait on a misreading.
const LONGEST_RETRY_AFTER: Duration = Duration::from_secs(60 * 60);

/// How much of an unreadable error body goes into [`PagerError::Refused`]'s text.
const BODY_EXCERPT_CHARS: usize = 300;

/// Why a call to a pager did not succeed, sorted by what the caller should do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PagerError {
    /// HTTP 429: the service is throttling this key. Retry after `retry_after` when the service
    /// said (its `Retry-After` in seconds, at most an hour), else after the outbox's backoff.
    #[error("rate limited by the pager (retry after {retry_after:?})")]
    RateLimited { retry_after: Option<Duration> },
    /// A network error, a timeout or a 5xx: the same request may well succeed later.
    #[error("pager unreachable or failing: {0}")]
    Transient(String),
    /// Any other answer (mostly 4xx): the request itself or the key is wrong, and sending it
    /// again will not help. The text has the status and the service's own explanation.
    #[error("pager refused the request: {0}")]
    Refused(String),
}

/// Sorts the outcome of sending a request: reads the body of a failed answer for the error text.
pub(crate) async fn sort(result: Result<reqwest::Response, reqwest::Error>) -> Result<(), PagerError> {
    let response = match result {
        Ok(response) => response,
        Err(error) => return Err(PagerError::Transient(describe_transport(&error))),
    };
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let headers = response.headers().clone();
    // A body that cannot be read still leaves the status to sort by.
    let body = response.text().await.unwrap_or_default();
    sort_answer(status, &headers, &body)
}

/// Sorts an answer by its status, headers and body; pure, so each case is unit-tested.
pub(crate) fn sort_answer(status: StatusCode, headers: &HeaderMap, body: &str) -> Result<(), PagerError> {
    if status.is_success() {
        return Ok(());
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Err(PagerError::RateLimited { retry_after: retry_after(headers) });
    }
    let explained = format!("HTTP {}: {}", status.as_u16(), explain(body));
    // 408 is the server giving up on a slow request: sending it again can succeed.
    if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
        return Err(PagerError::Transient(explained));
    }
    Err(PagerError::Refused(explained))
}

/// `Retry-After` as delay-seconds (the HTTP-date form is not used by these services).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds).min(LONGEST_RETRY_AFTER))
}

/// The service's own words: PagerDuty answers `{status, message, errors: [..]}`, Opsgenie
/// `{message, errors: {field: text}}`; anything else is quoted, cut short.
fn explain(body: &str) -> String {
    let Ok(serde_json::Value::Object(json)) = serde_json::from_str::<serde_json::Value>(body) else {
        return quote(body);
    };
    let message = json.get("message").and_then(serde_json::Value::as_str);
    let errors = json.get("errors").filter(|errors| !errors.is_null());
    match (message, errors) {
        (Some(message), Some(errors)) => format!("{message} ({errors})"),
        (Some(message), None) => message.to_owned(),
        (None, _) => quote(body),
    }
}

fn quote(body: &str) -> String {
    let body = body.trim();
    if body.is_empty() {
        return "(no body)".to_owned();
    }
    crate::domain::text::truncate_chars(body, BODY_EXCERPT_CHARS)
}

/// A transport failure in words, without the URL's query (none carries a key today, but the
/// error text ends up in logs, so keep only what explains the failure).
fn describe_transport(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let host = error.url().and_then(|url| url.host_str()).unwrap_or("the pager");
    format!("{kind} ({host}): {}", std::error::Error::source(error).map_or_else(String::new, ToString::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(retry_after: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("")));
        }
        headers
    }

    #[test]
    fn any_2xx_is_success() {
        for status in [StatusCode::OK, StatusCode::ACCEPTED, StatusCode::NO_CONTENT] {
            assert_eq!(sort_answer(status, &headers(None), ""), Ok(()));
        }
    }

    #[test]
    fn a_429_is_rate_limited_with_its_retry_after_in_seconds() {
        let sorted = sort_answer(StatusCode::TOO_MANY_REQUESTS, &headers(Some("1")), "");
        assert_eq!(sorted, Err(PagerError::RateLimited { retry_after: Some(Duration::from_secs(1)) }));
    }

    #[test]
    fn a_429_without_a_readable_retry_after_leaves_the_wait_to_the_caller() {
        for value in [None, Some("soon"), Some("Wed, 21 Oct 2015 07:28:00 GMT")] {
            let sorted = sort_answer(StatusCode::TOO_MANY_REQUESTS, &headers(value), "");
            assert_eq!(sorted, Err(PagerError::RateLimited { retry_after: None }), "{value:?}");
        }
    }

    #[test]
    fn a_retry_after_longer_than_an_hour_is_clamped_to_an_hour() {
        let sorted = sort_answer(StatusCode::TOO_MANY_REQUESTS, &headers(Some("86400")), "");
        assert_eq!(sorted, Err(PagerError::RateLimited { retry_after: Some(LONGEST_RETRY_AFTER) }));
    }

    #[test]
    fn server_errors_and_request_timeouts_are_transient() {
        for status in [500, 502, 503, 504, 408] {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let sorted = sort_answer(status, &headers(None), "upstream down");
            assert!(
                matches!(sorted, Err(PagerError::Transient(ref text)) if text.contains("upstream down")),
                "{sorted:?}"
            );
        }
    }

    #[test]
    fn a_pagerduty_400_is_refused_with_its_errors() {
        let body = r#"{"status":"invalid event","message":"Event object is invalid","errors":["Length of 'routing_key' is incorrect (should be 32 characters)"]}"#;
        let Err(PagerError::Refused(text)) = sort_answer(StatusCode::BAD_REQUEST, &headers(None), body) else {
            unreachable!("a 400 is refused");
        };
        assert!(text.starts_with("HTTP 400: Event object is invalid"), "{text}");
        assert!(text.contains("routing_key"), "{text}");
    }

    #[test]
    fn an_opsgenie_422_is_refused_with_its_field_errors() {
        let body = r#"{"message":"Request body is not processable. Please check the errors.","errors":{"message":"Message can not be empty."},"took":0.001,"requestId":"r"}"#;
        let Err(PagerError::Refused(text)) = sort_answer(StatusCode::UNPROCESSABLE_ENTITY, &headers(None), body) else {
            unreachable!("a 422 is refused");
        };
        assert!(text.contains("HTTP 422") && text.contains("Message can not be empty."), "{text}");
    }

    #[test]
    fn an_unauthorized_key_is_refused_and_a_plain_body_is_quoted_short() {
        let long = "x".repeat(5_000);
        let Err(PagerError::Refused(text)) = sort_answer(StatusCode::UNAUTHORIZED, &headers(None), &long) else {
            unreachable!("a 401 is refused");
        };
        assert!(text.starts_with("HTTP 401: ") && text.chars().count() < 400, "{text}");
        let empty = sort_answer(StatusCode::FORBIDDEN, &headers(None), "");
        assert_eq!(empty, Err(PagerError::Refused("HTTP 403: (no body)".into())));
    }
}
