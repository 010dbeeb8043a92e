//! `GET /api/incidents`, `/api/incidents/N`, `/api/stats`: JSON for scripts and Grafana, with
//! `Authorization: Bearer $FIREBELL_API_TOKEN` (compared in constant time; 401 without or
//! wrong, 503 while the variable is unset).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::AppState;
use crate::store::incidents::ApiStatus;

/// The bearer token's refusal, if any: `None` lets the request through.
fn refused(state: &AppState, headers: &HeaderMap) -> Option<Response> {
    let Some(expected) = state.api_token.as_ref() else {
        return Some((StatusCode::SERVICE_UNAVAILABLE, "api disabled: set FIREBELL_API_TOKEN").into_response());
    };
    let presented = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    match presented {
        Some(token) if super::webhooks::constant_time_eq(token.as_bytes(), expected.expose_secret().as_bytes()) => None,
        _ => Some((StatusCode::UNAUTHORIZED, "missing or wrong bearer token").into_response()),
    }
}

fn bad_request(reason: String) -> Response {
    (StatusCode::BAD_REQUEST, format!("bad request: {reason}")).into_response()
}

fn internal(error: anyhow::Error) -> Response {
    super::HttpError::Internal(error).into_response()
}

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    since: Option<String>,
}

pub async fn incidents(State(state): State<AppState>, headers: HeaderMap, Query(query): Query<ListQuery>) -> Response {
    if let Some(refusal) = refused(&state, &headers) {
        return refusal;
    }
    let status = match query.status.as_deref() {
        None => None,
        Some("open") => Some(ApiStatus::Open),
        Some("resolved") => Some(ApiStatus::Resolved),
        Some("closed") => Some(ApiStatus::Closed),
        Some(other) => return bad_request(format!("status={other:?}; expected open, resolved or closed")),
    };
    let since = match query.since.as_deref() {
        None => None,
        Some(text) => match DateTime::parse_from_rfc3339(text) {
            Ok(at) => Some(at.with_timezone(&Utc)),
            Err(_) => {
                return bad_request(format!("since={text:?}; expected an RFC 3339 time like 2026-12-01T00:00:00Z"));
            }
        },
    };
    match state.app.api_incidents(status, since).await {
        Ok(value) => Json(value).into_response(),
        Err(error) => internal(error),
    }
}

pub async fn incident(State(state): State<AppState>, headers: HeaderMap, Path(number): Path<String>) -> Response {
    if let Some(refusal) = refused(&state, &headers) {
        return refusal;
    }
    let Ok(number) = number.parse::<i64>() else {
        return bad_request(format!("{number:?} is not an incident number"));
    };
    match state.app.api_incident(number).await {
        Ok(Some(value)) => Json(value).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, format!("no incident #{number}")).into_response(),
        Err(error) => internal(error),
    }
}

#[derive(Deserialize)]
pub struct StatsQuery {
    window: Option<String>,
}

pub async fn stats(State(state): State<AppState>, headers: HeaderMap, Query(query): Query<StatsQuery>) -> Response {
    if let Some(refusal) = refused(&state, &headers) {
        return refusal;
    }
    let window = query.window.unwrap_or_else(|| "30d".to_owned());
    let days = match window.as_str() {
        "7d" => 7,
        "30d" => 30,
        "90d" => 90,
        other => return bad_request(format!("window={other:?}; expected 7d, 30d or 90d")),
    };
    match state.app.api_stats(&window, days).await {
        Ok(value) => Json(value).into_response(),
        Err(error) => internal(error),
    }
}
