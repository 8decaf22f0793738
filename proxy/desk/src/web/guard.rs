//! Who is asking: a staff session (cookie + CSRF token) or an API bearer
//! token.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::cookies;
use super::errors::ApiError;
use super::layout;
use super::session::{SESSION_COOKIE, Session, tokens_match};
use super::state::App;
use crate::model::User;

/// The staff session of this request, if it has a live one.
pub fn session(app: &App, headers: &HeaderMap) -> Option<Session<User>> {
    let token = cookies::get(headers, SESSION_COOKIE)?;
    app.sessions.get(&token)
}

/// The staff session, or a redirect to the login page.
#[allow(clippy::result_large_err)]
pub fn require_session(app: &App, headers: &HeaderMap) -> Result<Session<User>, Response> {
    session(app, headers).ok_or_else(|| Redirect::to("/login").into_response())
}

/// The staff session whose CSRF token `given` carries; a 403 page when
/// the token is missing or wrong, the login page without a session.
#[allow(clippy::result_large_err)]
pub fn require_csrf(
    app: &App,
    headers: &HeaderMap,
    given: Option<&str>,
) -> Result<Session<User>, Response> {
    let s = require_session(app, headers)?;
    if tokens_match(&s.csrf, given.unwrap_or("")) {
        Ok(s)
    } else {
        Err(layout::error_page(
            StatusCode::FORBIDDEN,
            "en",
            "Form refused",
            "This form's security token is missing or out of date. Reload the page and try again.",
            nav(&s),
        ))
    }
}

/// The staff navigation for a session.
pub fn nav(s: &Session<User>) -> maud::Markup {
    layout::staff_nav(&s.user.name, s.user.role.as_str(), &s.csrf)
}

/// The user an `Authorization: Bearer` token belongs to: 401 without one,
/// 403 for an unknown token.
pub async fn bearer(app: &App, headers: &HeaderMap) -> Result<User, ApiError> {
    let token = bearer_token(headers).ok_or_else(|| {
        ApiError::unauthorized(
            "send Authorization: Bearer <API token> (hashwall desk user add prints one)",
        )
    })?;
    Ok(app.desk.user_by_token(token).await?)
}

/// The token of an `Authorization: Bearer` header, if one is present.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The user of a bearer token or, failing that, of a staff session (for
/// downloads linked from the staff pages).
pub async fn bearer_or_session(app: &App, headers: &HeaderMap) -> Result<User, ApiError> {
    if bearer_token(headers).is_none()
        && let Some(s) = session(app, headers)
    {
        return Ok(s.user);
    }
    bearer(app, headers).await
}
