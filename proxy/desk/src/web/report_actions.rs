//! The report page's forms: assess, confirm or disagree, resolve,
//! takedown events and country corrections. Each checks the session's
//! CSRF token; success redirects back to the report (so a reload does not
//! repeat the step), a refusal shows the report with the reason and the
//! matching status (403 for the four-eyes rule, 409, 422).

use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::errors;
use super::guard;
use super::report_page::{self, Notice};
use super::session::Session;
use super::staff::form_body;
use super::state::Shared;
use crate::model::{Decision, Reference, Report, User};
use crate::{Error, ErrorKind};

/// Every field any of the report forms sends.
#[derive(Deserialize, Default)]
pub struct StepForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    of: String,
    #[serde(default)]
    agree: String,
    #[serde(default)]
    event: String,
    #[serde(default)]
    url_index: String,
    #[serde(default)]
    country: String,
}

/// The decision a form describes.
pub fn decision(f: &StepForm) -> crate::Result<Decision> {
    Ok(match f.outcome.as_str() {
        "illegal" => Decision::Illegal {
            category: f.category.parse()?,
            kind: f.kind.parse()?,
            value: f.value.trim().to_string(),
        },
        "not_illegal" => Decision::NotIllegal,
        "duplicate" => Decision::Duplicate {
            of: f.of.trim().parse()?,
        },
        "police_only" => Decision::PoliceOnly,
        other => {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!("choose a decision (got {other:?})"),
            ));
        }
    })
}

type Step =
    fn(
        Shared,
        Reference,
        User,
        StepForm,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = crate::Result<Report>> + Send>>;

/// Runs one form step: CSRF, reference, the desk call, and the answer.
async fn run(app: Shared, reference: String, request: Request, step: Step, done: &str) -> Response {
    let (headers, form) = match form_body::<StepForm>(&app, request).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let s: Session<User> = match guard::require_csrf(&app, &headers, Some(&form.csrf)) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Ok(r) = reference.parse::<Reference>() else {
        return report_page::not_found(&s);
    };
    match step(app.clone(), r.clone(), s.user.clone(), form).await {
        Ok(report) => {
            if done == "decision"
                && let Some(o) = report.outcome
            {
                app.metrics.decision(o.as_str());
            }
            Redirect::to(&format!("/reports/{r}")).into_response()
        }
        Err(e) => {
            let (status, _) = errors::status_for(e.kind());
            report_page::page(
                &app,
                &s,
                &r,
                status,
                Notice::Refused(errors::public_message(&e)),
            )
            .await
        }
    }
}

/// `POST /reports/{reference}/assess`.
pub async fn assess(
    State(app): State<Shared>,
    Path(r): Path<String>,
    request: Request,
) -> Response {
    run(
        app,
        r,
        request,
        |app, r, user, form| {
            Box::pin(async move {
                let d = decision(&form)?;
                app.desk.assess(&r, &user, d).await
            })
        },
        "decision",
    )
    .await
}

/// `POST /reports/{reference}/confirm` (`agree=yes|no`).
pub async fn confirm(
    State(app): State<Shared>,
    Path(r): Path<String>,
    request: Request,
) -> Response {
    run(
        app,
        r,
        request,
        |app, r, user, form| {
            Box::pin(async move {
                let agree = match form.agree.as_str() {
                    "yes" => true,
                    "no" => false,
                    _ => return Err(Error::new(ErrorKind::Invalid, "agree must be yes or no")),
                };
                app.desk.confirm(&r, &user, agree).await
            })
        },
        "decision",
    )
    .await
}

/// `POST /reports/{reference}/resolve` (supervisors).
pub async fn resolve(
    State(app): State<Shared>,
    Path(r): Path<String>,
    request: Request,
) -> Response {
    run(
        app,
        r,
        request,
        |app, r, user, form| {
            Box::pin(async move {
                let d = decision(&form)?;
                app.desk.resolve(&r, &user, d).await
            })
        },
        "decision",
    )
    .await
}

/// `POST /reports/{reference}/takedown` (`event=notified|removed|still_online`).
pub async fn takedown(
    State(app): State<Shared>,
    Path(r): Path<String>,
    request: Request,
) -> Response {
    run(
        app,
        r,
        request,
        |app, r, user, form| {
            Box::pin(async move {
                let event = form.event.parse()?;
                app.desk.takedown(&r, &user, event).await
            })
        },
        "takedown",
    )
    .await
}

/// `POST /reports/{reference}/country` (`url_index`, `country`; empty clears).
pub async fn country(
    State(app): State<Shared>,
    Path(r): Path<String>,
    request: Request,
) -> Response {
    run(
        app,
        r,
        request,
        |app, r, user, form| {
            Box::pin(async move {
                let index: usize = form
                    .url_index
                    .parse()
                    .map_err(|_| Error::new(ErrorKind::Invalid, "url_index must be a number"))?;
                let country = Some(form.country.trim()).filter(|c| !c.is_empty());
                app.desk.set_country(&r, &user, index, country).await
            })
        },
        "country",
    )
    .await
}
