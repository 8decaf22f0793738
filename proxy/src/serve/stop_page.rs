//! The `451 Unavailable For Legal Reasons` answer (RFC 7725) and the other
//! pages the proxy writes itself.
//!
//! The stop page says whose list blocked the address and how to appeal. It
//! never shows the blocked URL, the matched entry or its reference: a stop
//! page must not become a directory of illegal content.

use bytes::Bytes;
use hashwall::Match;
use http_body_util::{BodyExt, Full};
use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};

use super::ProxyBody;
use super::config::StopPageConfig;

/// The built-in template.
pub const DEFAULT_TEMPLATE: &str = include_str!("../../assets/stop-page.html");

/// Placeholders a template may use.
const PLACEHOLDERS: &[&str] = &[
    "issuer",
    "jurisdiction",
    "category",
    "list_name",
    "operator",
    "appeal_url",
    "reporting_url",
];

/// A loaded, checked stop-page template and the fixed values.
#[derive(Debug)]
pub struct StopPage {
    template: String,
    config: StopPageConfig,
    link: HeaderValue,
}

impl StopPage {
    /// Loads the configured template (or the built-in one) and checks that it
    /// uses only known placeholders.
    pub fn load(config: &StopPageConfig) -> Result<StopPage, String> {
        let template = match &config.template {
            Some(p) => std::fs::read_to_string(p)
                .map_err(|e| format!("stop page template {}: {e}", p.display()))?,
            None => DEFAULT_TEMPLATE.to_owned(),
        };
        let mut rest = template.as_str();
        while let Some(start) = rest.find("{{") {
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or("stop page template: unclosed `{{`")?;
            let name = after[..end].trim();
            if !PLACEHOLDERS.contains(&name) {
                return Err(format!(
                    "stop page template: unknown placeholder {{{{{name}}}}} (known: {})",
                    PLACEHOLDERS.join(", ")
                ));
            }
            rest = &after[end + 2..];
        }
        let link =
            HeaderValue::from_str(&format!("<{}>; rel=\"blocked-by\"", config.blocked_by_url))
                .map_err(|_| "stop_page.blocked_by_url is not a valid header value".to_owned())?;
        Ok(StopPage {
            template,
            config: config.clone(),
            link,
        })
    }

    /// The page for a block by `m` (the first blocking match).
    pub fn render(&self, m: &Match) -> String {
        let l = m.list();
        let jurisdiction = l.jurisdiction().to_string();
        let category = l.category().to_string();
        let name = if l.name().is_empty() {
            l.id()
        } else {
            l.name()
        };
        let value = |key: &str| -> &str {
            match key {
                "issuer" => l.issuer(),
                "jurisdiction" => &jurisdiction,
                "category" => &category,
                "list_name" => name,
                "operator" => &self.config.operator,
                "appeal_url" => &self.config.appeal_url,
                "reporting_url" => &self.config.reporting_url,
                _ => "",
            }
        };
        let mut out = String::with_capacity(self.template.len() + 256);
        let mut rest = self.template.as_str();
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            // `load` checked every placeholder is closed.
            let end = after.find("}}").unwrap_or(after.len());
            html_escape_into(&mut out, value(after[..end].trim()));
            rest = after.get(end + 2..).unwrap_or("");
        }
        out.push_str(rest);
        out
    }

    /// The 451 response for a block by `m`.
    pub fn response(&self, m: &Match) -> Response<ProxyBody> {
        let mut resp = html_response(StatusCode::UNAVAILABLE_FOR_LEGAL_REASONS, self.render(m));
        resp.headers_mut().insert(header::LINK, self.link.clone());
        resp
    }
}

/// Appends `s` HTML-escaped (safe in text and in quoted attributes).
pub fn html_escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// An HTML response the proxy writes itself; never cached, never sniffed.
pub fn html_response(status: StatusCode, html: String) -> Response<ProxyBody> {
    let mut resp = Response::new(full(Bytes::from(html)));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}

/// A short error page: status line and one sentence.
pub fn error_page(status: StatusCode, message: &str) -> Response<ProxyBody> {
    let reason = status.canonical_reason().unwrap_or("Error");
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} {reason}</title></head>\n<body><h1>{} {reason}</h1>\n<p>",
        status.as_u16(),
        status.as_u16()
    );
    html_escape_into(&mut html, message);
    html.push_str("</p></body></html>\n");
    html_response(status, html)
}

/// A body from bytes, as the proxy's body type.
pub fn full(b: Bytes) -> ProxyBody {
    Full::new(b).map_err(|never| match never {}).boxed_unsync()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape() {
        let mut s = String::new();
        html_escape_into(&mut s, "<a href=\"x\">&'</a>");
        assert_eq!(s, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
    }

    #[test]
    fn template_checks_placeholders() {
        let mut c = crate::serve::config::Config::default_config().stop_page;
        assert!(StopPage::load(&c).is_ok());
        let dir = std::env::temp_dir().join(format!("hw-stop-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let p = dir.join("t.html");
        let _ = std::fs::write(&p, "{{url}}");
        c.template = Some(p.clone());
        assert!(StopPage::load(&c).is_err());
        let _ = std::fs::write(&p, "{{issuer");
        assert!(StopPage::load(&c).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
