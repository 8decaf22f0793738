//! A report as an analyst sees it (`GET /reports/{reference}`): canonical
//! URLs as plain text (reported content is never linked, embedded or
//! loaded), duplicates, what the lists already say, countries, and the
//! forms of the step the report is at.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::{Markup, html};

use super::errors;
use super::guard;
use super::layout;
use super::session::Session;
use super::state::Shared;
use crate::ErrorKind;
use crate::model::{
    AuditEvent, Category, Decision, ListedKind, Outcome, Report, Role, Status, User,
};

/// What to say above the report: an error (with its status) or a success.
pub enum Notice {
    /// Nothing.
    None,
    /// The last action succeeded.
    Done(String),
    /// The last action was refused.
    Refused(String),
}

fn decision_text(d: &Decision) -> String {
    match d {
        Decision::Illegal {
            category,
            kind,
            value,
        } => format!("illegal ({category}): list {kind} {value}"),
        Decision::NotIllegal => "not illegal".to_string(),
        Decision::Duplicate { of } => format!("duplicate of {of}"),
        Decision::PoliceOnly => "for the police only".to_string(),
    }
}

/// The decision fields shared by the assessment and the resolution forms.
fn decision_fields(r: &Report) -> Markup {
    let first = r.urls.first();
    let canon = first.and_then(|u| crate::intake::canonicalise(&u.canonical).ok());
    let entry = canon.as_ref().map_or(String::new(), |c| c.entry.clone());
    let host = canon.as_ref().map_or(String::new(), |c| c.host.clone());
    let dup = r
        .urls
        .iter()
        .find_map(|u| u.duplicate_of.as_ref())
        .map(ToString::to_string)
        .unwrap_or_default();
    html! {
        fieldset {
            legend { "Decision" }
            @for (value, text) in [("illegal", "Illegal"), ("not_illegal", "Not illegal"), ("duplicate", "Duplicate"), ("police_only", "Police only")] {
                input type="radio" name="outcome" id={ "outcome-" (value) } value=(value) checked[value == "illegal"];
                label for={ "outcome-" (value) } { (text) }
            }
        }
        fieldset {
            legend { "If illegal: category and entry to list" }
            label for="category" { "Category" }
            select id="category" name="category" {
                @for c in Category::ALL {
                    option value=(c.as_str()) selected[*c == r.category] { (c.as_str()) }
                }
            }
            div {
                @for k in ListedKind::ALL {
                    input type="radio" name="kind" id={ "kind-" (k.as_str()) } value=(k.as_str()) checked[*k == ListedKind::Url];
                    label for={ "kind-" (k.as_str()) } { (k.as_str()) }
                }
            }
            label for="value" { "Entry to list" }
            p.hint id="value-hint" { "url: the exact address (narrowest). For domain use the host: " span.url { (host) } }
            input type="text" id="value" name="value" value=(entry) aria-describedby="value-hint" spellcheck="false";
        }
        fieldset {
            legend { "If duplicate" }
            label for="of" { "Earlier report" }
            input type="text" id="of" name="of" value=(dup) placeholder="R-…";
        }
    }
}

fn urls_table(r: &Report, csrf: &str) -> Markup {
    html! {
        table {
            thead { tr { th { "#" } th { "Canonical URL (text only)" } th { "Host" } th { "Duplicate of" } th { "Already listed" } th { "Country" } } }
            tbody {
                @for (i, u) in r.urls.iter().enumerate() {
                    tr {
                        td { (i + 1) }
                        td.url { (u.canonical) @if u.given.trim() != u.canonical { br; span.hint { "given: " (u.given) } } }
                        td.url { (u.host) }
                        td { @if let Some(d) = &u.duplicate_of { a href={ "/reports/" (d) } { (d) } } @else { "–" } }
                        td {
                            @for l in &u.already_listed {
                                div { "on " (l.list) " (" (l.issuer) ")" @if let Some(x) = &l.reference { ", reference " (x) } }
                            }
                            @if u.already_listed.is_empty() { "–" }
                        }
                        td {
                            form method="post" action={ "/reports/" (r.reference) "/country" } {
                                input type="hidden" name="csrf" value=(csrf);
                                input type="hidden" name="url_index" value=(i);
                                label for={ "country-" (i) } { (u.country.as_deref().unwrap_or("unknown")) }
                                input type="text" id={ "country-" (i) } name="country" class="short" size="3" maxlength="2" value=(u.country.as_deref().unwrap_or("")) pattern="[A-Za-z]{2}" title="two letters, empty for unknown";
                                button.secondary type="submit" { "Correct" }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn step_forms(r: &Report, me: &User, csrf: &str) -> Markup {
    let base = format!("/reports/{}", r.reference);
    let assessor = r.assessed_by.as_deref() == Some(me.name.as_str());
    html! {
        @match r.status {
            Status::Received | Status::Assessing if r.locked_by.as_deref() == Some(me.name.as_str()) => {
                h2 { "Assessment" }
                form method="post" action={ (base) "/assess" } {
                    input type="hidden" name="csrf" value=(csrf);
                    (decision_fields(r))
                    button type="submit" id="assess" { "Record assessment" }
                }
            }
            Status::Received | Status::Assessing => {
                p.notice { "Held by " (r.locked_by.as_deref().unwrap_or("nobody")) "; open it when the lock expires." }
            }
            Status::AwaitingConfirmation => {
                h2 { "Confirmation (four eyes)" }
                p { "Assessed by " (r.assessed_by.as_deref().unwrap_or("?")) ": " strong { (r.proposed.as_ref().map(decision_text).unwrap_or_default()) } }
                @if assessor {
                    p.notice { "You made this assessment: another analyst must confirm it." }
                } @else {
                    form method="post" action={ (base) "/confirm" } {
                        input type="hidden" name="csrf" value=(csrf);
                        button type="submit" name="agree" value="yes" id="confirm" { "Confirm and list" }
                        " "
                        button.secondary type="submit" name="agree" value="no" id="disagree" { "Disagree" }
                    }
                }
            }
            Status::Disputed => {
                h2 { "Disputed" }
                p { "Proposed: " (r.proposed.as_ref().map(decision_text).unwrap_or_default()) "; a supervisor decides." }
                @if me.role == Role::Supervisor {
                    form method="post" action={ (base) "/resolve" } {
                        input type="hidden" name="csrf" value=(csrf);
                        (decision_fields(r))
                        button type="submit" id="resolve" { "Resolve" }
                    }
                }
            }
            Status::Closed => {
                h2 { "Decided" }
                p { (r.outcome.map_or("–", Outcome::as_str)) @if let Some(d) = &r.proposed { ": " (decision_text(d)) } }
                @if r.has_email {
                    h2 { "Feedback to the reporter" }
                    form method="post" action={ (base) "/feedback" } {
                        input type="hidden" name="csrf" value=(csrf);
                        button.secondary type="submit" name="action" value="show" id="feedback-show" { "Show address (audited)" } " "
                        button type="submit" name="action" value="sent" id="feedback-sent" { "Feedback sent: delete address" }
                    }
                }
                @if r.outcome == Some(Outcome::Illegal) {
                    h2 { "Notice and takedown" }
                    p { "Notified: " (layout::when_opt(r.notified_at)) " · removed: " (layout::when_opt(r.removed_at)) " · still online: " (layout::when_opt(r.still_online_at)) }
                    form method="post" action={ (base) "/takedown" } {
                        input type="hidden" name="csrf" value=(csrf);
                        button type="submit" name="event" value="notified" { "Host notified" } " "
                        button type="submit" name="event" value="removed" { "Content removed" } " "
                        button.secondary type="submit" name="event" value="still_online" { "Still online" }
                    }
                }
            }
        }
    }
}

/// The whole report page.
pub fn render(r: &Report, audit: &[AuditEvent], s: &Session<User>, notice: &Notice) -> Markup {
    let title = format!("Report {}", r.reference);
    let body = html! {
        h1 { "Report " span.ref { (r.reference) } }
        @match notice {
            Notice::None => {}
            Notice::Done(m) => p.ok role="status" { (m) },
            Notice::Refused(m) => p.error role="alert" { (m) },
        }
        div.cards {
            div { "Status: " strong id="status" { (r.status.as_str()) } }
            div { "Category: " (r.category) }
            div { "Source: " (r.source) }
            div { "Received: " (layout::when(r.received_at)) }
            div { "Duplicates: " (r.duplicate_count) }
        }
        @if !r.description.is_empty() { h2 { "Reporter's description" } p { (r.description) } }
        h2 { "URLs" }
        p.hint { "Shown as text only: reported content is never loaded by the desk." }
        (urls_table(r, &s.csrf))
        (step_forms(r, &s.user, &s.csrf))
        h2 { "Audit trail" }
        table {
            thead { tr { th { "When" } th { "Who" } th { "Action" } th { "Detail" } } }
            tbody { @for e in audit { tr { td { (layout::when(e.at)) } td { (e.actor) } td { (e.action) } td.url { (e.detail) } } } }
        }
    };
    layout::document("en", &title, guard::nav(s), body)
}

/// Loads the report and its audit trail and renders the page with
/// `status`; an error page when the report cannot be read.
pub async fn page(
    app: &Shared,
    s: &Session<User>,
    reference: &crate::model::Reference,
    status: StatusCode,
    notice: Notice,
) -> Response {
    let loaded = async {
        Ok::<_, crate::Error>((
            app.desk.report(reference).await?,
            app.desk.audit(Some(reference), 200).await?,
        ))
    }
    .await;
    match loaded {
        Ok((r, audit)) => layout::respond(status, render(&r, &audit, s, &notice)),
        Err(e) => {
            let (st, _) = errors::status_for(e.kind());
            layout::error_page(
                st,
                "en",
                "Report",
                &errors::public_message(&e),
                guard::nav(s),
            )
        }
    }
}

/// `GET /reports/{reference}`: opens (locks) it for the analyst when it
/// waits for assessment; read-only with a notice when another holds it.
pub async fn show(
    State(app): State<Shared>,
    Path(reference): Path<String>,
    headers: HeaderMap,
) -> Response {
    let s = match guard::require_session(&app, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Ok(reference) = reference.parse() else {
        return not_found(&s);
    };
    match app.desk.open_for(&reference, &s.user).await {
        Ok(_) => page(&app, &s, &reference, StatusCode::OK, Notice::None).await,
        Err(e) if e.kind() == ErrorKind::Forbidden => {
            page(
                &app,
                &s,
                &reference,
                StatusCode::OK,
                Notice::Refused(e.to_string()),
            )
            .await
        }
        Err(e) => {
            let (st, _) = errors::status_for(e.kind());
            layout::error_page(
                st,
                "en",
                "Report",
                &errors::public_message(&e),
                guard::nav(&s),
            )
        }
    }
}

/// The page for a reference that names no report (malformed or unknown).
pub fn not_found(s: &Session<User>) -> Response {
    layout::error_page(
        StatusCode::NOT_FOUND,
        "en",
        "Report",
        "There is no report with this reference.",
        guard::nav(s),
    )
}
