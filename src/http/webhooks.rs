//! `POST /webhooks/{alertmanager,grafana,datadog}`: alerts from monitoring, authenticated
//! with `Authorization: Bearer $FIREBELL_WEBHOOK_TOKEN` (compared in constant time).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;

use super::AppState;
use crate::domain::alert::Source;
use crate::integrations;

/// Equal lengths and bytes, without stopping at the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

pub async fn receive(
    State(state): State<AppState>,
    Path(source): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(expected) = state.webhook_token.as_ref() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "webhooks disabled: set FIREBELL_WEBHOOK_TOKEN").into_response();
    };
    let presented = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .unwrap_or_default();
    if !constant_time_eq(presented.trim().as_bytes(), expected.expose_secret().as_bytes()) {
        return (StatusCode::UNAUTHORIZED, "missing or wrong bearer token").into_response();
    }
    let source = match source.as_str() {
        "alertmanager" => Source::Alertmanager,
        "grafana" => Source::Grafana,
        "datadog" => Source::Datadog,
        _ => {
            return (StatusCode::NOT_FOUND, "unknown webhook; expected alertmanager, grafana or datadog")
                .into_response();
        }
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
