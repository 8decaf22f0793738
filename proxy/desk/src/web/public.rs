//! The public pages: the report form (`GET /`, `POST /`) and a report's
//! public state (`GET /report/{reference}`), in Dutch and English.

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::body::{self, BodyError};
use super::cookies;
use super::errors;
use super::i18n::{self, LANG_COOKIE, Lang, Texts};
use super::layout;
use super::middleware::too_large;
use super::state::Shared;
use crate::model::{Category, NewReport, Reference, Source};

/// `?lang=` on any public page.
#[derive(Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

/// The fields of the report form.
#[derive(Deserialize, Default)]
struct ReportForm {
    #[serde(default)]
    urls: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    email: String,
}

/// The language of this request, and a `Set-Cookie` when `?lang=` chose it.
fn language(
    query: &LangQuery,
    headers: &HeaderMap,
    secure: bool,
) -> (Lang, Option<header::HeaderValue>) {
    let lang = i18n::choose(query.lang.as_deref(), headers);
    let cookie = query
        .lang
        .as_deref()
        .and_then(Lang::parse)
        .map(|l| cookies::set(LANG_COOKIE, l.tag(), Some(365 * 86_400), secure));
    (lang, cookie)
}

fn nav(lang: Lang, path: &str) -> Markup {
    let other = lang.other();
    html! {
        a href={ (path) "?lang=" (other.tag()) } lang=(other.tag()) hreflang=(other.tag()) { (other.texts().switch_to) }
        a href="/login" { "Staff" }
    }
}

fn public_page(
    status: StatusCode,
    lang: Lang,
    title: &str,
    path: &str,
    body: Markup,
    cookie: Option<header::HeaderValue>,
) -> Response {
    let mut response = layout::respond(
        status,
        layout::document(lang.tag(), title, nav(lang, path), body),
    );
    if let Some(c) = cookie {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    response
}

fn form(t: &Texts, lang: Lang, values: &ReportForm, error: Option<&str>) -> Markup {
    let cats = [
        ("csam", t.cat_csam),
        ("terrorism", t.cat_terrorism),
        ("other", t.cat_other),
    ];
    html! {
        h1 { (t.title) }
        p { (t.intro) }
        @if let Some(e) = error {
            p.error role="alert" id="form-error" { (t.invalid) ": " (e) }
        }
        form method="post" action="/" {
            input type="hidden" name="lang" value=(lang.tag());
            label for="urls" { (t.urls_label) }
            p.hint id="urls-hint" { (t.urls_hint) }
            textarea id="urls" name="urls" required aria-describedby="urls-hint" autofocus
                spellcheck="false" autocomplete="off" { (values.urls) }
            label for="category" { (t.category_label) }
            select id="category" name="category" required {
                @for (value, text) in cats {
                    option value=(value) selected[values.category == value] { (text) }
                }
            }
            label for="description" { (t.description_label) }
            textarea id="description" name="description" { (values.description) }
            label for="email" { (t.email_label) }
            p.hint id="email-hint" { (t.email_hint) }
            input type="email" id="email" name="email" autocomplete="email" aria-describedby="email-hint" value=(values.email);
            div { button type="submit" id="submit" { (t.submit) } }
        }
        p.hint { (t.privacy) }
    }
}

/// `GET /`: the report form.
pub async fn form_page(
    State(app): State<Shared>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let (lang, cookie) = language(&q, &headers, app.options.secure_cookies);
    let t = lang.texts();
    let body = form(t, lang, &ReportForm::default(), None);
    public_page(StatusCode::OK, lang, t.title, "/", body, cookie)
}

/// `POST /`: takes a report in and answers with its reference.
pub async fn submit(State(app): State<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let mut lang = i18n::choose(None, &parts.headers);
    if let Some(ip) = body::client_ip(&parts.extensions)
        && !app.limiter.allow(ip)
    {
        let t = lang.texts();
        let mut r = public_page(
            StatusCode::TOO_MANY_REQUESTS,
            lang,
            t.error_title,
            "/",
            html! {
                h1 { (t.error_title) }
                p.error role="alert" { (t.too_many) }
                p { a href="/" { (t.back) } }
            },
            None,
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("60"));
        return r;
    }
    let bytes = match body::read(body, app.options.max_body, app.options.read_timeout).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => return too_large("/", &parts.headers, app.options.max_body),
        Err(BodyError::Timeout) => return StatusCode::REQUEST_TIMEOUT.into_response(),
        Err(BodyError::Broken) => return StatusCode::BAD_REQUEST.into_response(),
    };
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
    let mut values = ReportForm::default();
    for (k, v) in fields {
        match k.as_str() {
            "urls" => values.urls = v,
            "category" => values.category = v,
            "description" => values.description = v,
            "email" => values.email = v,
            "lang" => lang = Lang::parse(&v).unwrap_or(lang),
            _ => {}
        }
    }
    let t = lang.texts();
    let refuse = |message: String, values: &ReportForm| {
        public_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            lang,
            t.title,
            "/",
            form(t, lang, values, Some(&message)),
            None,
        )
    };
    let category: Category = match values.category.parse() {
        Ok(c) => c,
        Err(e) => return refuse(e.to_string(), &values),
    };
    let urls: Vec<String> = values
        .urls
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let email = Some(values.email.trim().to_string()).filter(|e| !e.is_empty());
    let report = NewReport {
        urls,
        category,
        description: values.description.trim().to_string(),
        email,
        source: Source::Public,
    };
    match app.desk.submit(report).await {
        Ok(outcome) => {
            app.metrics
                .report_received(category.as_str(), Source::Public.as_str());
            let reference = outcome.reference.to_string();
            let body = html! {
                h1 { (t.thanks_title) }
                p.ok role="status" { (t.thanks_body) }
                p { (t.your_reference) ": " span.ref id="reference" { (reference) } }
                p { a href={ "/report/" (reference) "?lang=" (lang.tag()) } { (t.status_link) } }
                p { a href="/" { (t.back) } }
            };
            public_page(StatusCode::OK, lang, t.thanks_title, "/", body, None)
        }
        Err(e) if e.kind() == crate::ErrorKind::Invalid => refuse(e.to_string(), &values),
        Err(e) => {
            let (status, _) = errors::status_for(e.kind());
            let message = errors::public_message(&e);
            layout::error_page(status, lang.tag(), t.error_title, &message, nav(lang, "/"))
        }
    }
}

/// `GET /report/{reference}`: received, being assessed or closed; nothing else.
pub async fn status_page(
    State(app): State<Shared>,
    Path(reference): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let (lang, cookie) = language(&q, &headers, app.options.secure_cookies);
    let t = lang.texts();
    let path = format!("/report/{reference}");
    let state = match reference.parse::<Reference>() {
        Ok(r) => app.desk.public_status(&r).await.map(|s| s.public_state()),
        Err(e) => Err(e),
    };
    match state {
        Ok(state) => {
            let text = match state {
                "received" => t.state_received,
                "closed" => t.state_closed,
                _ => t.state_being_assessed,
            };
            let body = html! {
                h1 { (t.status_title) " " span.ref { (reference) } }
                p.ok role="status" id="state" data-state=(state) { (text) }
                p { a href="/" { (t.back) } }
            };
            public_page(StatusCode::OK, lang, t.status_title, &path, body, cookie)
        }
        Err(e)
            if matches!(
                e.kind(),
                crate::ErrorKind::NotFound | crate::ErrorKind::Invalid
            ) =>
        {
            let body = html! {
                h1 { (t.status_title) }
                p.error role="alert" { (t.not_found) }
                p { a href="/" { (t.back) } }
            };
            public_page(
                StatusCode::NOT_FOUND,
                lang,
                t.status_title,
                &path,
                body,
                cookie,
            )
        }
        Err(e) => {
            let (status, _) = errors::status_for(e.kind());
            layout::error_page(
                status,
                lang.tag(),
                t.error_title,
                &errors::public_message(&e),
                nav(lang, &path),
            )
        }
    }
}
