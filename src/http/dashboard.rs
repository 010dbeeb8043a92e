//! The dashboard's routes (served only with `FIREBELL_PUBLIC_URL`): `/login/TOKEN` opens a
//! session from a one-time link, `/` is the overview for a signed-in user and otherwise says
//! how to sign in. Every page forbids scripts and third-party origins (CSP), is not cached,
//! and sends no referrer (a sign-in URL must not leak to a linked site).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::domain::dashboard;
use crate::render;

/// No script at all, styles and images from this origin only, forms only to it.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                                       frame-ancestors 'none'; base-uri 'none'";

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

/// `GET /`: the overview for a signed-in user, else how to sign in.
pub async fn overview(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let app = &state.app;
    let token = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()).and_then(dashboard::session_in);
    let session = match token {
        Some(token) => match app.dashboard_session(token).await {
            Ok(session) => session,
            Err(error) => return super::HttpError::Internal(error).into_response(),
        },
        None => None,
    };
    let Some(session) = session else {
        return rendered(StatusCode::OK, render::dashboard::sign_in(app.policy.locale, false));
    };
    let open = match app.store.open_incidents().await {
        Ok(open) => open,
        Err(error) => return super::HttpError::Internal(error).into_response(),
    };
    rendered(StatusCode::OK, render::dashboard::overview(&app.policy, session.user.as_str(), &open, app.clock.now()))
}

/// `GET /assets/dashboard.css`.
pub async fn stylesheet() -> Response {
    let mut response = render::dashboard::STYLESHEET.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    response
}
