//! The JSON API for automation, with `Authorization: Bearer <token>`:
//! the queue, a report, and every workflow step.

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::api_intake::{json_body, parse_json};
use super::errors::ApiError;
use super::guard;
use super::state::Shared;
use crate::model::{Decision, Reference, TakedownEvent, User};

/// The report a path names, or 404.
pub(super) fn reference(text: &str) -> Result<Reference, ApiError> {
    text.parse()
        .map_err(|_| ApiError::not_found(format!("no report {text:?}")))
}

/// The JSON answer of an API handler: the value, or the error's JSON.
pub(super) fn respond<T: serde::Serialize>(result: Result<T, ApiError>) -> Response {
    match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /api/v1/queue`: open reports, oldest first.
pub async fn queue(State(app): State<Shared>, headers: HeaderMap) -> Response {
    respond(
        async {
            guard::bearer(&app, &headers).await?;
            Ok(app.desk.queue().await?)
        }
        .await,
    )
}

/// `GET /api/v1/reports/{reference}`: the report and its audit trail.
pub async fn report(
    State(app): State<Shared>,
    Path(r): Path<String>,
    headers: HeaderMap,
) -> Response {
    respond(
        async {
            guard::bearer(&app, &headers).await?;
            let r = reference(&r)?;
            let report = app.desk.report(&r).await?;
            let audit = app.desk.audit(Some(&r), 200).await?;
            Ok(serde_json::json!({"report": report, "audit": audit}))
        }
        .await,
    )
}

/// `POST /api/v1/reports/{reference}/open`: lock it for the caller.
pub async fn open(
    State(app): State<Shared>,
    Path(r): Path<String>,
    headers: HeaderMap,
) -> Response {
    respond(
        async {
            let user = guard::bearer(&app, &headers).await?;
            Ok(app.desk.open_for(&reference(&r)?, &user).await?)
        }
        .await,
    )
}

/// Authenticates, reads and parses the JSON body of a workflow step.
async fn step_input<T: serde::de::DeserializeOwned>(
    app: &Shared,
    r: &str,
    request: Request,
) -> Result<(User, Reference, T), Response> {
    let user = guard::bearer(app, request.headers())
        .await
        .map_err(IntoResponse::into_response)?;
    let r = reference(r).map_err(IntoResponse::into_response)?;
    let (_, bytes) = json_body(app, request).await?;
    let input = parse_json(&bytes).map_err(IntoResponse::into_response)?;
    Ok((user, r, input))
}

fn done(
    app: &Shared,
    result: crate::Result<crate::model::Report>,
    count_decision: bool,
) -> Response {
    match result {
        Ok(report) => {
            if count_decision && let Some(o) = report.outcome {
                app.metrics.decision(o.as_str());
            }
            Json(report).into_response()
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `POST /api/v1/reports/{reference}/assess` with a decision:
/// `{"outcome":"illegal","category":"csam","kind":"url","value":"…"}`,
/// `{"outcome":"not_illegal"}`, `{"outcome":"duplicate","of":"R-…"}`,
/// `{"outcome":"police_only"}`.
pub async fn assess(
    State(app): State<Shared>,
    Path(r): Path<String>,
    request: Request,
) -> Response {
    match step_input::<Decision>(&app, &r, request).await {
        Ok((user, r, decision)) => {
            let result = app.desk.assess(&r, &user, decision).await;
            done(&app, result, true)
        }
        Err(resp) => resp,
    }
}

/// The body of a confirmation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfirmIn {
    agree: bool,
}

/// `POST /api/v1/reports/{reference}/confirm` `{"agree": true|false}`.
pub async fn confirm(
    State(app): State<Shared>,
    Path(r): Path<String>,
    request: Request,
) -> Response {
    match step_input::<ConfirmIn>(&app, &r, request).await {
        Ok((user, r, input)) => {
            let result = app.desk.confirm(&r, &user, input.agree).await;
            done(&app, result, true)
        }
        Err(resp) => resp,
    }
}

/// `POST /api/v1/reports/{reference}/resolve` with a decision (supervisors).
pub async fn resolve(
    State(app): State<Shared>,
    Path(r): Path<String>,
    request: Request,
) -> Response {
    match step_input::<Decision>(&app, &r, request).await {
        Ok((user, r, decision)) => {
            let result = app.desk.resolve(&r, &user, decision).await;
            done(&app, result, true)
        }
        Err(resp) => resp,
    }
}

/// The body of a takedown event.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TakedownIn {
    event: TakedownEvent,
}

/// `POST /api/v1/reports/{reference}/takedown` `{"event":"notified|removed|still_online"}`.
pub async fn takedown(
    State(app): State<Shared>,
    Path(r): Path<String>,
    request: Request,
) -> Response {
    match step_input::<TakedownIn>(&app, &r, request).await {
        Ok((user, r, input)) => {
            let result = app.desk.takedown(&r, &user, input.event).await;
            done(&app, result, false)
        }
        Err(resp) => resp,
    }
}

/// The body of a country correction.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CountryIn {
    #[serde(default)]
    url_index: usize,
    country: Option<String>,
}

/// `POST /api/v1/reports/{reference}/country` `{"url_index":0,"country":"NL"}`
/// (`null` clears it).
pub async fn country(
    State(app): State<Shared>,
    Path(r): Path<String>,
    request: Request,
) -> Response {
    match step_input::<CountryIn>(&app, &r, request).await {
        Ok((user, r, input)) => {
            let result = app
                .desk
                .set_country(&r, &user, input.url_index, input.country.as_deref())
                .await;
            done(&app, result, false)
        }
        Err(resp) => resp,
    }
}
