//! `POST /webhooks/{alertmanager,grafana,datadog}`: alerts from monitoring, authenticated
//! with `Authorization: Bearer $FIREBELL_WEBHOOK_TOKEN` (compared in constant time).

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;

use super::AppState;
use crate::domain::alert::Source;
use crate::integrations;

/// Equal lengths and bytes, without stopping at the first difference.
pub(super) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// The source a webhook path names, if it is one firebell takes.
pub fn source_named(name: &str) -> Option<Source> {
    match name {
        "alertmanager" => Some(Source::Alertmanager),
        "grafana" => Some(Source::Grafana),
        "datadog" => Some(Source::Datadog),
        _ => None,
    }
}

/// Why a presented token is refused, if it is; the token itself is never kept or logged.
fn refusal(headers: &HeaderMap, expected: &[u8]) -> Option<&'static str> {
    let Some(value) = headers.get("authorization") else { return Some("no Authorization header") };
    let Some(token) = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
    else {
        return Some("the Authorization header is not a bearer token");
    };
    (!constant_time_eq(token.as_bytes(), expected)).then_some("wrong bearer token")
}

pub async fn receive(
    State(state): State<AppState>,
    Path(source): Path<String>,
    extensions: Extensions,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(expected) = state.webhook_token.as_ref() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "webhooks disabled: set FIREBELL_WEBHOOK_TOKEN").into_response();
    };
    let named = source_named(&source);
    if let Some(reason) = refusal(&headers, expected.expose_secret().as_bytes()) {
        // Who knocked with what, for whoever set up the sender — never the token it sent.
        let client = extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.to_string());
        tracing::warn!(
            webhook.source = named.map_or("unknown", Source::as_str),
            reason,
            client.address = client.as_deref().unwrap_or("unknown"),
            "webhook refused: 401"
        );
        let source = named.map_or("unknown", Source::as_str);
        state.app.metrics.count("firebell_alerts_total", &[("source", source), ("outcome", "unauthorized")]);
        return (StatusCode::UNAUTHORIZED, "missing or wrong bearer token").into_response();
    }
    let Some(source) = named else {
        return (StatusCode::NOT_FOUND, "unknown webhook; expected alertmanager, grafana or datadog").into_response();
    };
    let notification = match integrations::parse(source, &body) {
        Ok(notification) => notification,
        Err(reason) => {
            state.app.metrics.count("firebell_alerts_total", &[("source", source.as_str()), ("outcome", "unreadable")]);
            return (StatusCode::BAD_REQUEST, format!("bad request: {reason}")).into_response();
        }
    };
    match state.app.receive_alerts(notification).await {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        // Alertmanager retries 5xx answers: nothing is lost.
        Err(error) => super::HttpError::Internal(error).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn tokens_compare_exactly() {
        assert!(constant_time_eq(b"s3cret", b"s3cret"));
        assert!(!constant_time_eq(b"s3cret", b"s3creT"));
        assert!(!constant_time_eq(b"s3cret", b"s3cre"));
        assert!(!constant_time_eq(b"", b"x"));
    }
}
