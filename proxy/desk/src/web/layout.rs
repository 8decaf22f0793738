//! The page shell every HTML page shares, the staff navigation and the
//! error page. All text goes through maud, which escapes it.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use hashwall::lists::Timestamp;
use maud::{DOCTYPE, Markup, html};

/// Styles for every page (inline: allowed by the CSP's `style-src`).
const STYLE: &str = "
body{font-family:system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:0 1rem 3rem;color:#1a1a1a;line-height:1.45}
header{display:flex;justify-content:space-between;align-items:center;border-bottom:3px solid #1f5fa8;margin-bottom:1rem;padding:.6rem 0}
header a,header button{margin-left:.8rem}
.brand{font-weight:700;color:#1f5fa8;text-decoration:none;margin-left:0}
label{display:block;font-weight:600;margin-top:1rem}
.hint{color:#555;font-size:.9rem;margin:.2rem 0}
input[type=text],input[type=email],input[type=password],textarea,select{font:inherit;padding:.4rem;width:100%;max-width:40rem;box-sizing:border-box;border:1px solid #888;border-radius:3px}
textarea{min-height:6rem}
button{font:inherit;padding:.45rem 1rem;margin-top:1rem;background:#1f5fa8;color:#fff;border:0;border-radius:3px;cursor:pointer}
button.secondary{background:#555}
button.link{background:none;color:#1f5fa8;padding:0;margin:0;text-decoration:underline}
:focus-visible{outline:3px solid #d9822b;outline-offset:2px}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border-bottom:1px solid #ddd;padding:.35rem;text-align:left;vertical-align:top}
.ref{font-family:monospace;font-size:1.15rem;background:#eef3fa;padding:.2rem .5rem}
.url{font-family:monospace;word-break:break-all}
.notice{background:#fff4e0;border-left:4px solid #d9822b;padding:.5rem 1rem}
.error{background:#fde8e8;border-left:4px solid #a83232;padding:.5rem 1rem}
.ok{background:#e6f4ea;border-left:4px solid #2e8b57;padding:.5rem 1rem}
fieldset{border:1px solid #ccc;margin:1rem 0;padding:.5rem 1rem}
fieldset label{display:inline;font-weight:400;margin-right:1rem}
.cards{display:flex;flex-wrap:wrap;gap:1rem}
.cards div{background:#eef3fa;padding:.5rem 1rem;border-radius:4px}
svg.chart{max-width:100%;height:auto}
";

/// A whole HTML document: `lang` attribute, title, header links, body.
pub fn document(lang: &str, title: &str, nav: Markup, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) " · hashwall desk" }
                style { (maud::PreEscaped(STYLE)) }
            }
            body {
                header { a.brand href="/" { "hashwall desk" } nav { (nav) } }
                main { (body) }
            }
        }
    }
}

/// An HTML response with this status.
pub fn respond(status: StatusCode, page: Markup) -> Response {
    (status, Html(page.into_string())).into_response()
}

/// Links for a logged-in staff member, with the logout button (a form:
/// logging out changes state, so it is a CSRF-protected POST).
pub fn staff_nav(name: &str, role: &str, csrf: &str) -> Markup {
    html! {
        a href="/queue" { "Queue" }
        a href="/stats" { "Statistics" }
        span { " · " (name) " (" (role) ")" }
        form method="post" action="/logout" style="display:inline" {
            input type="hidden" name="csrf" value=(csrf);
            button.link type="submit" { "Log out" }
        }
    }
}

/// A page saying what went wrong, with the status it goes with.
pub fn error_page(
    status: StatusCode,
    lang: &str,
    title: &str,
    message: &str,
    nav: Markup,
) -> Response {
    let body = html! {
        h1 { (title) }
        p.error role="alert" { (message) }
        p { a href="/" { "hashwall desk" } }
    };
    respond(status, document(lang, title, nav, body))
}

/// A timestamp for people: `2026-12-03 08:15 UTC`.
pub fn when(t: Timestamp) -> String {
    let s = t.to_string();
    match (s.get(..10), s.get(11..16)) {
        (Some(d), Some(hm)) => format!("{d} {hm} UTC"),
        _ => s,
    }
}

/// An optional timestamp, or a dash.
pub fn when_opt(t: Option<Timestamp>) -> String {
    t.map_or_else(|| "–".to_string(), when)
}

/// Seconds as a short duration: `45 s`, `12 min`, `3.5 h`, `2.0 d`.
pub fn duration(secs: Option<u64>) -> String {
    match secs {
        None => "–".to_string(),
        Some(s) if s < 120 => format!("{s} s"),
        Some(s) if s < 7200 => format!("{} min", s / 60),
        Some(s) if s < 172_800 => format!("{:.1} h", s as f64 / 3600.0),
        Some(s) => format!("{:.1} d", s as f64 / 86_400.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_in_pages() {
        let page = document(
            "en",
            "<t>",
            html! {},
            html! { p { ("<script>alert(1)</script>") } },
        );
        let s = page.into_string();
        assert!(!s.contains("<script>"));
        assert!(s.contains("&lt;script&gt;"));
        assert!(s.contains("<html lang=\"en\">"));
    }

    #[test]
    fn durations_and_times_read_well() {
        assert_eq!(duration(Some(30)), "30 s");
        assert_eq!(duration(Some(600)), "10 min");
        assert_eq!(duration(Some(3 * 86_400)), "3.0 d");
        assert_eq!(duration(None), "–");
        assert_eq!(
            when(Timestamp::from_unix_seconds(86_400 + 3600)),
            "1970-01-02 01:00 UTC"
        );
    }
}
