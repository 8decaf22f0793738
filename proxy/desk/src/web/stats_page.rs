//! Statistics on alerts: the staff page `/stats` with server-rendered SVG
//! charts, the aggregate-only `/public-stats` (when switched on), the
//! JSON/CSV download `/api/v1/stats` and Prometheus `/metrics`.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hashwall::lists::Timestamp;
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::errors::{self, ApiError};
use super::guard;
use super::i18n;
use super::layout;
use super::state::Shared;
use super::svg::{self, Series};
use crate::stats::{Period, Stats, StatsQuery};
use crate::{Error, ErrorKind};

/// `?from=&to=&by=&format=`.
#[derive(Deserialize, Default)]
pub struct StatsParams {
    from: Option<String>,
    to: Option<String>,
    by: Option<String>,
    format: Option<String>,
    lang: Option<String>,
}

/// A time bound: unix seconds, a date (`2026-12-03`, midnight UTC) or RFC 3339.
fn bound(text: Option<&str>) -> crate::Result<Option<Timestamp>> {
    let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if let Ok(secs) = t.parse::<i64>() {
        return Ok(Some(Timestamp::from_unix_seconds(secs)));
    }
    let full = if t.len() == 10 {
        format!("{t}T00:00:00Z")
    } else {
        t.to_string()
    };
    full.parse().map(Some).map_err(|_| {
        Error::new(
            ErrorKind::Invalid,
            format!("{t:?} is not a date (2026-12-03), an RFC 3339 time or unix seconds"),
        )
    })
}

fn query(p: &StatsParams) -> crate::Result<StatsQuery> {
    Ok(StatsQuery {
        from: bound(p.from.as_deref())?,
        to: bound(p.to.as_deref())?,
        by: p.by.as_deref().unwrap_or("day").parse::<Period>()?,
    })
}

fn chart(
    title: &str,
    stats: &Stats,
    pick: fn(&crate::stats::Counts) -> &std::collections::BTreeMap<String, u64>,
) -> Markup {
    let labels: Vec<String> = stats.buckets.iter().map(|b| b.label.clone()).collect();
    let names: Vec<String> = pick(&stats.totals).keys().cloned().collect();
    let series: Vec<Series> = names
        .into_iter()
        .map(|name| Series {
            values: stats
                .buckets
                .iter()
                .map(|b| pick(&b.counts).get(&name).copied().unwrap_or(0))
                .collect(),
            name,
        })
        .collect();
    html! { figure { (PreEscaped(svg::bar_chart(title, &labels, &series))) figcaption { (title) } } }
}

fn totals_table(caption: &str, map: &std::collections::BTreeMap<String, u64>) -> Markup {
    html! {
        table { caption { (caption) } tbody { @for (k, v) in map { tr { th scope="row" { (k) } td { (v) } } } } }
    }
}

fn figures(stats: &Stats, with_countries: bool) -> Markup {
    let d = &stats.durations;
    let labels: Vec<String> = stats.countries.iter().map(|(c, _)| c.clone()).collect();
    let countries = [Series {
        name: "URLs".into(),
        values: stats.countries.iter().map(|(_, n)| *n).collect(),
    }];
    html! {
        div.cards {
            div { "Reports: " strong id="total-reports" { (stats.totals.reports) } }
            div { "Duplicates: " strong { (stats.duplicates) } }
        }
        (chart("Reports per period by category", stats, |c| &c.by_category))
        (chart("Reports per period by source", stats, |c| &c.by_source))
        (chart("Reports per period by outcome", stats, |c| &c.by_outcome))
        h2 { "Durations" }
        table {
            thead { tr { th { "From … to" } th { "Count" } th { "Median" } th { "90th percentile" } } }
            tbody {
                @for (name, q) in [("report to decision", &d.to_decision), ("report to listing", &d.to_listing), ("notice to removal", &d.notice_to_removal)] {
                    tr { td { (name) } td { (q.count) } td { (layout::duration(q.median_secs)) } td { (layout::duration(q.p90_secs)) } }
                }
            }
        }
        h2 { "Totals" }
        (totals_table("By category", &stats.totals.by_category))
        (totals_table("By source", &stats.totals.by_source))
        (totals_table("By outcome", &stats.totals.by_outcome))
        @if with_countries {
            h2 { "Hosting countries" }
            figure { (PreEscaped(svg::bar_chart("Reported URLs by hosting country", &labels, &countries))) figcaption { "Reported URLs by hosting country" } }
        }
    }
}

fn period_form(p: &StatsParams, action: &str) -> Markup {
    let by = p.by.as_deref().unwrap_or("day");
    html! {
        form method="get" action=(action) {
            label for="from" { "From (date)" } input type="text" id="from" name="from" value=(p.from.as_deref().unwrap_or("")) placeholder="2026-12-01";
            label for="to" { "To (date, exclusive)" } input type="text" id="to" name="to" value=(p.to.as_deref().unwrap_or("")) placeholder="2027-01-01";
            label for="by" { "Per" }
            select id="by" name="by" { @for v in ["day", "week", "month"] { option value=(v) selected[v == by] { (v) } } }
            div { button type="submit" { "Show" } }
        }
    }
}

fn download_query(p: &StatsParams) -> String {
    let mut pairs = vec![("by", p.by.clone().unwrap_or_else(|| "day".into()))];
    pairs.extend(
        p.from
            .clone()
            .filter(|s| !s.is_empty())
            .map(|v| ("from", v)),
    );
    pairs.extend(p.to.clone().filter(|s| !s.is_empty()).map(|v| ("to", v)));
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// `GET /stats` (staff).
pub async fn page(
    State(app): State<Shared>,
    Query(p): Query<StatsParams>,
    headers: HeaderMap,
) -> Response {
    let s = match guard::require_session(&app, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let result = match query(&p) {
        Ok(q) => app.desk.stats(&q).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(stats) => {
            let q = download_query(&p);
            let body = html! {
                h1 { "Statistics on alerts" }
                (period_form(&p, "/stats"))
                p { "Download: " a href={ "/api/v1/stats?" (q) "&format=csv" } { "CSV" } " · " a href={ "/api/v1/stats?" (q) } { "JSON" } }
                (figures(&stats, true))
            };
            layout::respond(
                StatusCode::OK,
                layout::document("en", "Statistics", guard::nav(&s), body),
            )
        }
        Err(e) => {
            let (status, _) = errors::status_for(e.kind());
            layout::error_page(
                status,
                "en",
                "Statistics",
                &errors::public_message(&e),
                guard::nav(&s),
            )
        }
    }
}

/// `GET /public-stats`: aggregates only, per month; 404 unless switched on.
pub async fn public_page(
    State(app): State<Shared>,
    Query(p): Query<StatsParams>,
    headers: HeaderMap,
) -> Response {
    let lang = i18n::choose(p.lang.as_deref(), &headers);
    let t = lang.texts();
    if !app.options.public_stats {
        return layout::error_page(
            StatusCode::NOT_FOUND,
            lang.tag(),
            t.error_title,
            "Not found",
            html! {},
        );
    }
    let q = StatsQuery {
        from: None,
        to: None,
        by: Period::Month,
    };
    match app.desk.stats(&q).await {
        Ok(stats) => {
            let body = html! { h1 { (t.stats_title) } (figures(&stats, true)) p { a href="/" { (t.back) } } };
            layout::respond(
                StatusCode::OK,
                layout::document(lang.tag(), t.stats_title, html! {}, body),
            )
        }
        Err(e) => {
            let (status, _) = errors::status_for(e.kind());
            layout::error_page(
                status,
                lang.tag(),
                t.error_title,
                &errors::public_message(&e),
                html! {},
            )
        }
    }
}

fn wants_csv(p: &StatsParams, headers: &HeaderMap) -> bool {
    match p.format.as_deref() {
        Some(f) => f.eq_ignore_ascii_case("csv"),
        None => headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| {
                a.split(',').any(|m| {
                    m.split(';')
                        .next()
                        .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/csv"))
                })
            }),
    }
}

/// `GET /api/v1/stats?from=&to=&by=day|week|month[&format=csv]` (API
/// token, or a staff session for the page's download links).
pub async fn api(
    State(app): State<Shared>,
    Query(p): Query<StatsParams>,
    headers: HeaderMap,
) -> Response {
    if let Err(e) = guard::bearer_or_session(&app, &headers).await {
        return e.into_response();
    }
    let stats = match query(&p) {
        Ok(q) => app.desk.stats(&q).await,
        Err(e) => Err(e),
    };
    match stats {
        Ok(stats) if wants_csv(&p, &headers) => {
            let mut r = stats.to_csv().into_response();
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            h.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"desk-stats.csv\""),
            );
            r
        }
        Ok(stats) => Json(stats).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `GET /metrics`: Prometheus text.
pub async fn metrics(State(app): State<Shared>) -> Response {
    let mut r = app.metrics.render().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_accept_dates_times_and_seconds() {
        assert_eq!(
            bound(Some("86400")).ok().flatten(),
            Some(Timestamp::from_unix_seconds(86_400))
        );
        assert_eq!(
            bound(Some("1970-01-02")).ok().flatten(),
            Some(Timestamp::from_unix_seconds(86_400))
        );
        assert_eq!(
            bound(Some("1970-01-02T00:00:10Z")).ok().flatten(),
            Some(Timestamp::from_unix_seconds(86_410))
        );
        assert_eq!(bound(Some("")).ok().flatten(), None);
        assert!(bound(Some("yesterday")).is_err());
    }
}
