//! Staff login, logout and the queue.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::body::{self, BodyError};
use super::cookies;
use super::errors;
use super::guard;
use super::layout;
use super::middleware::too_large;
use super::session::{LOGIN_CSRF_COOKIE, SESSION_COOKIE, random_token, tokens_match};
use super::state::Shared;

/// Reads a form body within the limits; an error page otherwise.
pub async fn form_body<T: serde::de::DeserializeOwned + Default>(
    app: &Shared,
    request: Request,
) -> Result<(HeaderMap, T), Response> {
    let (parts, body) = request.into_parts();
    match body::read(body, app.options.max_body, app.options.read_timeout).await {
        Ok(bytes) => Ok((
            parts.headers,
            serde_urlencoded::from_bytes(&bytes).unwrap_or_default(),
        )),
        Err(BodyError::TooLarge) => Err(too_large(
            parts.uri.path(),
            &parts.headers,
            app.options.max_body,
        )),
        Err(BodyError::Timeout) => Err(StatusCode::REQUEST_TIMEOUT.into_response()),
        Err(BodyError::Broken) => Err(StatusCode::BAD_REQUEST.into_response()),
    }
}

fn login_page(status: StatusCode, secure: bool, name: &str, error: Option<&str>) -> Response {
    let Some(token) = random_token() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let body = html! {
        h1 { "Staff login" }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form method="post" action="/login" {
            input type="hidden" name="csrf" value=(token);
            label for="name" { "Name" }
            input type="text" id="name" name="name" required autocomplete="username" autofocus value=(name);
            label for="password" { "Password" }
            input type="password" id="password" name="password" required autocomplete="current-password";
            div { button type="submit" id="login" { "Log in" } }
        }
    };
    let mut r = layout::respond(
        status,
        layout::document("en", "Staff login", html! {}, body),
    );
    r.headers_mut().append(
        header::SET_COOKIE,
        cookies::set(LOGIN_CSRF_COOKIE, &token, Some(3600), secure),
    );
    r
}

/// `GET /login`.
pub async fn login_form(State(app): State<Shared>, headers: HeaderMap) -> Response {
    if guard::session(&app, &headers).is_some() {
        return Redirect::to("/queue").into_response();
    }
    login_page(StatusCode::OK, app.options.secure_cookies, "", None)
}

/// The login form's fields.
#[derive(Deserialize, Default)]
pub struct LoginForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /login`: checks the form token (double-submit cookie), then the
/// password; starts a session.
pub async fn login(State(app): State<Shared>, request: Request) -> Response {
    let secure = app.options.secure_cookies;
    let (headers, form) = match form_body::<LoginForm>(&app, request).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let expected = cookies::get(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if !tokens_match(&expected, &form.csrf) {
        return login_page(
            StatusCode::FORBIDDEN,
            secure,
            &form.name,
            Some("The form's security token is missing or out of date; try again."),
        );
    }
    match app.desk.login(&form.name, &form.password).await {
        Ok(user) => {
            let Some((token, _)) = app.sessions.create(user) else {
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            };
            let mut r = Redirect::to("/queue").into_response();
            let h = r.headers_mut();
            h.append(
                header::SET_COOKIE,
                cookies::set(
                    SESSION_COOKIE,
                    &token,
                    Some(app.sessions.lifetime_secs()),
                    secure,
                ),
            );
            h.append(
                header::SET_COOKIE,
                cookies::set(LOGIN_CSRF_COOKIE, "", Some(0), secure),
            );
            r
        }
        Err(e) => {
            let (status, _) = errors::status_for(e.kind());
            login_page(
                status,
                secure,
                &form.name,
                Some(&errors::public_message(&e)),
            )
        }
    }
}

/// The logout form's field.
#[derive(Deserialize, Default)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /logout`: ends the session.
pub async fn logout(State(app): State<Shared>, request: Request) -> Response {
    let (headers, form) = match form_body::<CsrfForm>(&app, request).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Err(r) = guard::require_csrf(&app, &headers, Some(&form.csrf)) {
        return r;
    }
    if let Some(token) = cookies::get(&headers, SESSION_COOKIE) {
        app.sessions.remove(&token);
    }
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        cookies::set(SESSION_COOKIE, "", Some(0), app.options.secure_cookies),
    );
    r
}

fn queue_table(items: &[crate::model::QueueItem]) -> Markup {
    html! {
        @if items.is_empty() {
            p { "Nothing waits for assessment." }
        } @else {
            table {
                thead { tr { th { "Reference" } th { "Received" } th { "Category" } th { "Status" } th { "URLs" } th { "Duplicates" } th { "Held by" } } }
                tbody {
                    @for i in items {
                        tr {
                            td { a href={ "/reports/" (i.reference) } { (i.reference) } }
                            td { (layout::when(i.received_at)) }
                            td { (i.category) }
                            td { (i.status.as_str().replace('_', " ")) }
                            td { (i.urls) }
                            td { (i.duplicate_count) }
                            td { (i.locked_by.as_deref().unwrap_or("–")) }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /queue`: open reports, oldest first.
pub async fn queue(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let s = match guard::require_session(&app, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    match app.desk.queue().await {
        Ok(items) => {
            let body = html! { h1 { "Queue" } p.hint { (items.len()) " open report(s), oldest first." } (queue_table(&items)) };
            let mut r = layout::respond(
                StatusCode::OK,
                layout::document("en", "Queue", guard::nav(&s), body),
            );
            r.headers_mut()
                .insert(header::REFRESH, HeaderValue::from_static("60"));
            r
        }
        Err(e) => {
            let (status, _) = errors::status_for(e.kind());
            layout::error_page(
                status,
                "en",
                "Queue",
                &errors::public_message(&e),
                guard::nav(&s),
            )
        }
    }
}
