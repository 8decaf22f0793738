//! Feedback to the reporter, once a report is decided: an analyst reads
//! the e-mail address (the reading is audited), sends the outcome by
//! their own mail, and marks it sent, which deletes the address.
//!
//! The address is shown only in the answer to a POST (never in a URL, a
//! log line or a cached page).

use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::api_staff::{reference, respond};
use super::errors;
use super::guard;
use super::report_page::{self, Notice};
use super::staff::form_body;
use super::state::Shared;
use crate::model::Reference;

/// The feedback form's fields.
#[derive(Deserialize, Default)]
pub struct FeedbackForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
}

/// `POST /reports/{reference}/feedback` with `action=show` (the address
/// on the report page) or `action=sent` (deletes it).
pub async fn form(State(app): State<Shared>, Path(r): Path<String>, request: Request) -> Response {
    let (headers, form) = match form_body::<FeedbackForm>(&app, request).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let s = match guard::require_csrf(&app, &headers, Some(&form.csrf)) {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let Ok(reference) = r.parse::<Reference>() else {
        return report_page::not_found(&s);
    };
    let refused = |e: crate::Error| {
        let (status, _) = errors::status_for(e.kind());
        (status, Notice::Refused(errors::public_message(&e)))
    };
    let (status, notice) = match form.action.as_str() {
        "show" => match app.desk.feedback_address(&reference, &s.user).await {
            Ok(address) => (
                StatusCode::OK,
                Notice::Done(format!(
                    "Reporter's address: {address} — send the outcome, then mark the feedback sent (the address is deleted)."
                )),
            ),
            Err(e) => refused(e),
        },
        "sent" => match app.desk.feedback_sent(&reference, &s.user).await {
            Ok(()) => return Redirect::to(&format!("/reports/{reference}")).into_response(),
            Err(e) => refused(e),
        },
        _ => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Notice::Refused("action must be show or sent".into()),
        ),
    };
    report_page::page(&app, &s, &reference, status, notice).await
}

/// `POST /api/v1/reports/{reference}/feedback-address` → `{"email": "…"}`.
pub async fn api_address(
    State(app): State<Shared>,
    Path(r): Path<String>,
    headers: HeaderMap,
) -> Response {
    respond(
        async {
            let user = guard::bearer(&app, &headers).await?;
            let email = app.desk.feedback_address(&reference(&r)?, &user).await?;
            Ok(serde_json::json!({ "email": email }))
        }
        .await,
    )
}

/// `POST /api/v1/reports/{reference}/feedback-sent` → `{"deleted": true}`.
pub async fn api_sent(
    State(app): State<Shared>,
    Path(r): Path<String>,
    headers: HeaderMap,
) -> Response {
    respond(
        async {
            let user = guard::bearer(&app, &headers).await?;
            app.desk.feedback_sent(&reference(&r)?, &user).await?;
            Ok(serde_json::json!({ "deleted": true }))
        }
        .await,
    )
}
