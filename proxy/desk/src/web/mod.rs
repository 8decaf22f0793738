//! The desk's web pages and JSON API over [`crate::Desk`].
//!
//! | module | what |
//! |---|---|
//! | [`public`] | the public report form and a report's public state, Dutch and English |
//! | [`api_intake`] | `POST /api/v1/reports` for partners and apps |
//! | [`staff`] | login, logout, the queue |
//! | [`report_page`], [`report_actions`] | a report for analysts and its forms |
//! | [`feedback`] | the reporter's address for feedback, then its deletion |
//! | [`api_staff`] | the bearer-token JSON API for automation |
//! | [`stats_page`] | `/stats` with SVG charts, `/public-stats`, `/api/v1/stats`, `/metrics` |
//! | [`server`] | the listener: hyper with header timeouts and a graceful drain |
//!
//! Building blocks: [`options`], [`state`], [`session`], [`guard`],
//! [`ratelimit`], [`body`], [`cookies`], [`i18n`], [`layout`], [`svg`],
//! [`metrics`], [`errors`], [`middleware`].

pub mod api_intake;
pub mod api_staff;
pub mod body;
pub mod cookies;
pub mod errors;
pub mod feedback;
pub mod guard;
pub mod i18n;
pub mod layout;
pub mod metrics;
pub mod middleware;
pub mod options;
pub mod public;
pub mod ratelimit;
pub mod report_actions;
pub mod report_page;
pub mod server;
pub mod session;
pub mod staff;
pub mod state;
pub mod stats_page;
pub mod svg;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub use options::WebOptions;
pub use server::serve;

use crate::{Desk, Error, ErrorKind, Result};

async fn not_found(request: Request) -> Response {
    if request.uri().path().starts_with("/api/") {
        errors::ApiError::not_found("no such endpoint").into_response()
    } else {
        let lang = i18n::choose(None, request.headers());
        layout::error_page(
            StatusCode::NOT_FOUND,
            lang.tag(),
            lang.texts().error_title,
            "Not found",
            maud::html! {},
        )
    }
}

/// Every route of the desk over `desk`, with `options`' limits.
///
/// # Errors
///
/// [`ErrorKind::Config`] when the OS gives no randomness for the rate
/// limiter's salt.
pub fn router(desk: Desk, options: WebOptions) -> Result<Router> {
    let limiter = ratelimit::RateLimiter::new(options.intake_per_minute).map_err(|e| {
        Error::new(
            ErrorKind::Config,
            format!("no randomness for the rate limiter: {e}"),
        )
    })?;
    let app: state::Shared = Arc::new(state::App {
        desk,
        sessions: session::SessionStore::new(options.session_lifetime),
        limiter,
        metrics: metrics::Metrics::default(),
        options,
    });
    Ok(Router::new()
        .route("/", get(public::form_page).post(public::submit))
        .route("/report/{reference}", get(public::status_page))
        .route("/login", get(staff::login_form).post(staff::login))
        .route("/logout", post(staff::logout))
        .route("/queue", get(staff::queue))
        .route("/reports/{reference}", get(report_page::show))
        .route("/reports/{reference}/assess", post(report_actions::assess))
        .route(
            "/reports/{reference}/confirm",
            post(report_actions::confirm),
        )
        .route(
            "/reports/{reference}/resolve",
            post(report_actions::resolve),
        )
        .route(
            "/reports/{reference}/takedown",
            post(report_actions::takedown),
        )
        .route(
            "/reports/{reference}/country",
            post(report_actions::country),
        )
        .route("/reports/{reference}/feedback", post(feedback::form))
        .route("/stats", get(stats_page::page))
        .route("/public-stats", get(stats_page::public_page))
        .route("/metrics", get(stats_page::metrics))
        .route("/api/v1/reports", post(api_intake::submit))
        .route("/api/v1/queue", get(api_staff::queue))
        .route("/api/v1/reports/{reference}", get(api_staff::report))
        .route("/api/v1/reports/{reference}/open", post(api_staff::open))
        .route(
            "/api/v1/reports/{reference}/assess",
            post(api_staff::assess),
        )
        .route(
            "/api/v1/reports/{reference}/confirm",
            post(api_staff::confirm),
        )
        .route(
            "/api/v1/reports/{reference}/resolve",
            post(api_staff::resolve),
        )
        .route(
            "/api/v1/reports/{reference}/takedown",
            post(api_staff::takedown),
        )
        .route(
            "/api/v1/reports/{reference}/country",
            post(api_staff::country),
        )
        .route(
            "/api/v1/reports/{reference}/feedback-address",
            post(feedback::api_address),
        )
        .route(
            "/api/v1/reports/{reference}/feedback-sent",
            post(feedback::api_sent),
        )
        .route("/api/v1/stats", get(stats_page::api))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            middleware::guard,
        ))
        .with_state(app))
}
