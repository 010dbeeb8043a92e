//! The dashboard's routes (served only with `FIREBELL_PUBLIC_URL`): `/login/TOKEN` opens a
//! session from a one-time link, `/` is the overview for a signed-in user and otherwise says
//! how to sign in; `/incidents` lists and `/incidents/N` tells an incident and takes its forms.
//! Every page forbids inline scripts and third-party origins (CSP), is not cached,
//! and sends no referrer (a sign-in URL must not leak to a linked site).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::app::incident_page::{Acted, LIST_LIMIT, ListQuery};
use crate::catalog::{Key, text};
use crate::domain::dashboard;
use crate::domain::dashboard_form::ActForm;
use crate::domain::overview;
use crate::render;
use crate::render::incident_page::Flash;
use crate::store::dashboard::DashboardSession;

/// Scripts, styles, images and fetches from this origin only (no inline script, no third
/// party), forms only to it.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                                       connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A page with the dashboard's headers.
fn page(status: StatusCode, html: String) -> Response {
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

fn rendered(status: StatusCode, html: anyhow::Result<String>) -> Response {
    match html {
        Ok(html) => page(status, html),
        Err(error) => super::HttpError::Internal(error).into_response(),
    }
}

/// `GET /login/TOKEN`: 303 to `/` with the session cookie, or 403 and no session.
pub async fn login(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let locale = state.app.policy.locale;
    let signed_in = match state.app.sign_in(&token).await {
        Ok(signed_in) => signed_in,
        Err(error) => return super::HttpError::Internal(error).into_response(),
    };
    let Some(signed_in) = signed_in else {
        tracing::info!("a dashboard sign-in link was refused: used, expired or unknown");
        return rendered(StatusCode::FORBIDDEN, render::dashboard::sign_in(locale, true));
    };
    let secure = state.app.public_url.as_deref().is_some_and(|url| url.starts_with("https://"));
    let cookie = dashboard::session_cookie(&signed_in.token, signed_in.lifetime, secure);
    let mut response = page(StatusCode::SEE_OTHER, String::new());
    response.headers_mut().insert(header::LOCATION, HeaderValue::from_static("/"));
    match HeaderValue::from_str(&cookie) {
        Ok(value) => {
            response.headers_mut().insert(header::SET_COOKIE, value);
            response
        }
        Err(error) => super::HttpError::Internal(anyhow::anyhow!("session cookie: {error}")).into_response(),
    }
}

/// The signed-in session the request's cookie opens, if any.
async fn session_of(state: &AppState, headers: &HeaderMap) -> anyhow::Result<Option<DashboardSession>> {
    let token = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()).and_then(dashboard::session_in);
    match token {
        Some(token) => state.app.dashboard_session(token).await,
        None => Ok(None),
    }
}

/// The session, or the response for a request without one: the sign-in page for a read,
/// 403 for a form (nothing changes without a session).
async fn signed_in(state: &AppState, headers: &HeaderMap, posting: bool) -> Result<DashboardSession, Response> {
    match session_of(state, headers).await {
        Ok(Some(session)) => Ok(session),
        Ok(None) => {
            let status = if posting { StatusCode::FORBIDDEN } else { StatusCode::OK };
            Err(rendered(status, render::dashboard::sign_in(state.app.policy.locale, false)))
        }
        Err(error) => Err(super::HttpError::Internal(error).into_response()),
    }
}

/// The overview's `?window=7d|30d|90d`.
#[derive(serde::Deserialize)]
pub struct OverviewQuery {
    #[serde(default)]
    window: String,
}

/// `GET /`: the overview for a signed-in user, else how to sign in.
pub async fn overview(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<OverviewQuery>,
) -> Response {
    let session = match signed_in(&state, &headers, false).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let app = &state.app;
    let open = match app.open_incidents_for(&session.user).await {
        Ok(open) => open,
        Err(error) => return super::HttpError::Internal(error).into_response(),
    };
    let days = overview::window_days(&query.window).unwrap_or(overview::DEFAULT_WINDOW);
    let figures = match app.overview_figures(days).await {
        Ok(figures) => figures,
        Err(error) => return super::HttpError::Internal(error).into_response(),
    };
    let (user, now) = (session.user.as_str(), app.clock.now());
    rendered(StatusCode::OK, render::dashboard::overview(&app.policy, user, &open, &figures, now))
}

/// `GET /incidents`: the list, searched and filtered by the query.
pub async fn incidents(State(state): State<AppState>, headers: HeaderMap, query: Query<ListQuery>) -> Response {
    let session = match signed_in(&state, &headers, false).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let app = &state.app;
    let found = match app.incident_list(&query).await {
        Ok(found) => found,
        Err(error) => return super::HttpError::Internal(error).into_response(),
    };
    let capped = (found.len() as i64 >= LIST_LIMIT).then_some(LIST_LIMIT);
    rendered(StatusCode::OK, render::incident_page::list(&app.policy, session.user.as_str(), &query, &found, capped))
}

/// What a page says after a form, from the query of the redirect that followed it.
#[derive(serde::Deserialize)]
pub struct AfterForm {
    #[serde(default)]
    done: Option<String>,
}

/// `GET /incidents/N`: the incident's page (a private one only for its people).
pub async fn incident(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Query(after): Query<AfterForm>,
) -> Response {
    let session = match signed_in(&state, &headers, false).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let flash = after.done.is_some().then(|| Flash::done(state.app.policy.locale));
    incident_page(&state, &session, &number, StatusCode::OK, flash.as_ref()).await
}

async fn incident_page(
    state: &AppState,
    session: &DashboardSession,
    number: &str,
    status: StatusCode,
    flash: Option<&Flash>,
) -> Response {
    let app = &state.app;
    let (locale, user) = (app.policy.locale, session.user.as_str());
    let page = match number.parse::<i64>() {
        Ok(n) => app.incident_page(n, &session.user).await,
        Err(_) => Ok(None),
    };
    match page {
        Ok(Some(page)) => rendered(
            status,
            render::incident_page::incident(&app.policy, user, &session.csrf, &page, flash, app.clock.now()),
        ),
        Ok(None) => rendered(StatusCode::NOT_FOUND, render::incident_page::not_found(locale, user, number)),
        Err(error) => super::HttpError::Internal(error).into_response(),
    }
}

/// `POST /incidents/N`: a form from the incident's page. 303 back to the page when recorded
/// (so a reload does not post again), the page with the reason when refused, 403 without a
/// session or the session's CSRF token — and in every refusal, nothing changes.
pub async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let session = match signed_in(&state, &headers, true).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let app = &state.app;
    let (locale, user) = (app.policy.locale, session.user.as_str());
    let Ok(n) = number.parse::<i64>() else {
        return rendered(StatusCode::NOT_FOUND, render::incident_page::not_found(locale, user, &number));
    };
    let form: ActForm = match serde_urlencoded::from_bytes(&body) {
        Ok(form) => form,
        Err(error) => {
            tracing::info!(%error, "a dashboard form could not be read");
            let flash = Flash::refused(&error.to_string());
            return incident_page(&state, &session, &number, StatusCode::BAD_REQUEST, Some(&flash)).await;
        }
    };
    match app.act_on_page(&session, n, &form).await {
        Ok(Acted::Done) => {
            let mut response = page(StatusCode::SEE_OTHER, String::new());
            let location = format!("/incidents/{n}?done={}", form.act);
            match HeaderValue::from_str(&location) {
                Ok(value) => {
                    response.headers_mut().insert(header::LOCATION, value);
                    response
                }
                Err(_) => {
                    response.headers_mut().insert(header::LOCATION, HeaderValue::from_static("/"));
                    response
                }
            }
        }
        Ok(Acted::Refused(reason)) => {
            incident_page(&state, &session, &number, StatusCode::CONFLICT, Some(&Flash::refused(&reason))).await
        }
        Ok(Acted::Forged) => {
            tracing::warn!(slack.user = %session.user, "a dashboard form without the session's CSRF token was refused");
            let message = text(locale, Key::DashboardForged);
            rendered(StatusCode::FORBIDDEN, render::incident_page::message(locale, user, message.as_str()))
        }
        Ok(Acted::NotFound) => rendered(StatusCode::NOT_FOUND, render::incident_page::not_found(locale, user, &number)),
        Err(error) => super::HttpError::Internal(error).into_response(),
    }
}

/// `GET /assets/dashboard.css`.
pub async fn stylesheet() -> Response {
    asset(render::dashboard::STYLESHEET, "text/css; charset=utf-8")
}

/// `GET /assets/live.js`.
pub async fn live_script() -> Response {
    asset(render::dashboard::LIVE_SCRIPT, "text/javascript; charset=utf-8")
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}
