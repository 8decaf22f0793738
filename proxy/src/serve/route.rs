//! The request head's path through the proxy, as pure functions of the
//! head, the configuration and a snapshot (no I/O, no shared state), so that
//! the fuzz targets and unit tests drive exactly what `phases` runs:
//!
//! * [`route`] — phase 2: proxy authentication, loops, framing, and where
//!   the request goes ([`Target`]);
//! * [`decide_url`] — phase 3: the target's URL against the lists;
//! * [`upstream_head`] — the head sent on to an HTTP server: hop-by-hop
//!   fields removed, `Via` added, userinfo dropped, `Host` from the target.

use std::net::IpAddr;

use hashwall::{Action, Snapshot, Verdict};
use hyper::header::{self, HeaderValue};
use hyper::http::request::Parts;
use hyper::{HeaderMap, Method, StatusCode, Uri, Version};

use super::acl::{AuthOutcome, check_auth};
use super::authority::{Authority, AuthorityError, UserInfo};
use super::config::{Config, FailMode, ProxyConfig};
use super::headers::{add_via, remove_hop_by_hop, via_has};

/// Where a request goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A CONNECT tunnel to `host:port`.
    Connect {
        /// The host as the client wrote it (IPv6 in brackets).
        host: String,
        /// The port.
        port: u16,
    },
    /// An HTTP request to this absolute `http://` URI.
    Http(Uri),
}

impl Target {
    /// The URL checked against the lists: the URI for HTTP, `https://host/`
    /// (with the port unless 443) for a tunnel.
    pub fn url(&self) -> String {
        match self {
            Target::Connect { host, port: 443 } => format!("https://{host}/"),
            Target::Connect { host, port } => format!("https://{host}:{port}/"),
            Target::Http(uri) => uri.to_string(),
        }
    }

    /// The host and port connected to (80 when an HTTP URI has none).
    pub fn host_port(&self) -> (&str, u16) {
        match self {
            Target::Connect { host, port } => (host.as_str(), *port),
            Target::Http(uri) => (uri.host().unwrap_or(""), uri.port_u16().unwrap_or(80)),
        }
    }
}

/// Why [`route`] refused a request; `phases` turns it into the response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Missing or wrong proxy credentials: 407.
    AuthRequired,
    /// A malformed or unsupported request: this status, this message.
    BadRequest(StatusCode, &'static str),
    /// A malformed host or port (in the target or `Host`): 400, whatever
    /// `on_invalid_url` says (an invalid port is never "no port").
    Authority(AuthorityError),
    /// A loop or a forbidden CONNECT port: 403 with this message.
    Forbidden(&'static str),
}

/// Phase 2: authentication, loops, framing, and the target of a request
/// head. `is_self` says whether `host:port` names one of the proxy's own
/// listeners.
pub fn route(
    config: &Config,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    is_self: impl Fn(&str, u16) -> bool,
) -> Result<Target, Refusal> {
    if let AuthOutcome::Required = check_auth(config.auth.as_ref(), headers) {
        return Err(Refusal::AuthRequired);
    }
    let bad = Refusal::BadRequest;
    // Both framings is how request smuggling starts. hyper 1 removes the
    // Content-Length when Transfer-Encoding is present before we see the
    // head, so `framing::FramingGuard` answers 400 on the raw bytes; this
    // check is the second line, should a future hyper let both through.
    if headers.contains_key(header::TRANSFER_ENCODING)
        && headers.contains_key(header::CONTENT_LENGTH)
    {
        return Err(bad(
            StatusCode::BAD_REQUEST,
            "Both Content-Length and Transfer-Encoding.",
        ));
    }
    if via_has(headers, &config.proxy.via_pseudonym) {
        return Err(Refusal::Forbidden(
            "Forwarding loop: this request has already been through this proxy.",
        ));
    }
    // RFC 9112 §3.2: one Host field, with a valid value, whatever the
    // form of the request target.
    let host_field = host_field(headers)?;
    let target = if method == Method::CONNECT {
        // authority-form only: a scheme or a path in a CONNECT target
        // (`a.example://b.example:443`) leaves what the client wrote and
        // where the tunnel goes disagreeing.
        let (None, Some(auth), None) = (uri.scheme(), uri.authority(), uri.path_and_query()) else {
            return Err(bad(StatusCode::BAD_REQUEST, "CONNECT needs host:port."));
        };
        // authority-form is host:port only (RFC 9112 §3.2.3): user
        // information there is a disguise, not something to strip.
        let auth = Authority::parse(auth.as_str(), UserInfo::Refuse).map_err(Refusal::Authority)?;
        let Some(port) = auth.port else {
            return Err(bad(StatusCode::BAD_REQUEST, "CONNECT needs host:port."));
        };
        if !config.acl.connect_ports.contains(&port) {
            return Err(Refusal::Forbidden("CONNECT to this port is not allowed."));
        }
        Target::Connect {
            host: auth.host.to_owned(),
            port,
        }
    } else if let Some(scheme) = uri.scheme_str() {
        if !scheme.eq_ignore_ascii_case("http") {
            return Err(bad(
                StatusCode::NOT_IMPLEMENTED,
                "Only http:// is forwarded; use CONNECT for https.",
            ));
        }
        let Some(auth) = uri.authority() else {
            return Err(bad(
                StatusCode::BAD_REQUEST,
                "No host in the request target.",
            ));
        };
        http_authority(auth.as_str(), UserInfo::Allow)?;
        Target::Http(uri.clone())
    } else if config.proxy.transparent {
        let Some(host) = host_field else {
            return Err(bad(StatusCode::BAD_REQUEST, "No Host header."));
        };
        http_authority(host, UserInfo::Refuse)?;
        origin_form_target(uri, host).map_err(|m| bad(StatusCode::BAD_REQUEST, m))?
    } else {
        return Err(bad(
            StatusCode::BAD_REQUEST,
            "This is a proxy: send the full URL (absolute-form) or CONNECT.",
        ));
    };
    let (host, port) = target.host_port();
    if is_self(host, port) {
        return Err(Refusal::Forbidden(
            "Forwarding loop: the target is this proxy.",
        ));
    }
    Ok(target)
}

/// The `Host` field, checked: `None` when absent; a refusal when it is
/// repeated or not a valid `host[:port]`.
fn host_field(headers: &HeaderMap) -> Result<Option<&str>, Refusal> {
    let mut fields = headers.get_all(header::HOST).iter();
    let Some(first) = fields.next() else {
        return Ok(None);
    };
    if fields.next().is_some() {
        return Err(Refusal::BadRequest(
            StatusCode::BAD_REQUEST,
            "More than one Host field.",
        ));
    }
    let host = first
        .to_str()
        .map_err(|_| Refusal::Authority(AuthorityError::InvalidHost))?;
    Authority::parse(host, UserInfo::Refuse).map_err(Refusal::Authority)?;
    Ok(Some(host))
}

/// An HTTP authority: well formed, and no port 0 (nothing can be reached
/// there; CONNECT refuses it as a port not allowed).
fn http_authority(s: &str, userinfo: UserInfo) -> Result<Authority<'_>, Refusal> {
    let a = Authority::parse(s, userinfo).map_err(Refusal::Authority)?;
    if a.port == Some(0) {
        return Err(Refusal::Authority(AuthorityError::InvalidPort));
    }
    Ok(a)
}

/// Transparent mode: `GET /path` with `Host: name[:port]` (already
/// checked by [`host_field`]).
pub(crate) fn origin_form_target(uri: &Uri, host: &str) -> Result<Target, &'static str> {
    // Authority-form (`host:port`) belongs to CONNECT alone (RFC 9112
    // §3.2.3): with another method it names a host that `Host` would
    // silently replace.
    if uri.authority().is_some() {
        return Err("Unsupported request target.");
    }
    let pq = uri.path_and_query().map_or("/", |p| p.as_str());
    if !pq.starts_with('/') {
        return Err("Unsupported request target.");
    }
    let uri: Uri = format!("http://{host}{pq}")
        .parse()
        .map_err(|_| "Invalid Host header.")?;
    Ok(Target::Http(uri))
}

/// Phase 3's answer for a target URL.
#[derive(Debug)]
pub enum Decision {
    /// Forward: no list matched, or none asks to block (the verdict, maybe
    /// empty, is recorded).
    Pass(Verdict),
    /// The URL does not canonicalise and `on_invalid_url` is `open`:
    /// forward it unchecked.
    PassUnchecked,
    /// The URL does not canonicalise and `on_invalid_url` is `closed`: 400.
    Invalid,
    /// A list blocks it: the stop page.
    Block(Verdict),
}

/// Whether a verdict blocks: its action is block and a match asked for
/// it (an allow list can override a block).
pub fn verdict_blocks(verdict: &Verdict) -> bool {
    verdict.action() == Action::Block
        && verdict
            .matches()
            .iter()
            .any(|m| m.action() == Action::Block)
}

/// Phase 3: `url` against `snapshot`.
pub fn decide_url(snapshot: &Snapshot, url: &str, on_invalid: FailMode) -> Decision {
    let verdict = match snapshot.check_url(url) {
        Ok(v) => v,
        Err(e) => {
            tracing::debug!(error = %e, "URL does not canonicalise");
            return match on_invalid {
                FailMode::Open => Decision::PassUnchecked,
                FailMode::Closed => Decision::Invalid,
            };
        }
    };
    if verdict_blocks(&verdict) {
        Decision::Block(verdict)
    } else {
        Decision::Pass(verdict)
    }
}

/// Turns a client's request head into the head sent upstream for `uri`
/// (the target [`route`] found): hop-by-hop fields removed, our `Via`
/// added, userinfo dropped, `Host` set to the target's authority
/// (RFC 9112 §3.2.2: a different `Host` from the client is ignored),
/// `X-Forwarded-For` when configured, HTTP/1.1.
pub fn upstream_head(parts: &mut Parts, uri: Uri, proxy: &ProxyConfig, peer: IpAddr) {
    remove_hop_by_hop(&mut parts.headers);
    add_via(&mut parts.headers, &proxy.via_pseudonym);
    let uri = without_userinfo(uri);
    if let Some(a) = uri.authority()
        && let Ok(v) = HeaderValue::from_str(a.as_str())
    {
        parts.headers.insert(header::HOST, v);
    }
    if proxy.forwarded_for
        && let Ok(v) = HeaderValue::from_str(&peer.to_string())
    {
        parts.headers.append("x-forwarded-for", v);
    }
    parts.uri = uri;
    parts.version = Version::HTTP_11;
}

/// `http://user:pw@host/x` → `http://host/x`.
fn without_userinfo(uri: Uri) -> Uri {
    let Some(at) = uri.authority().and_then(|a| a.as_str().rfind('@')) else {
        return uri;
    };
    let mut parts = uri.into_parts();
    if let Some(a) = parts.authority.take() {
        parts.authority = a.as_str()[at + 1..].parse().ok();
    }
    // The authority stays valid after dropping userinfo; fall back to a
    // harmless URI if not (the request then fails as a bad gateway).
    Uri::from_parts(parts).unwrap_or_else(|_| Uri::from_static("http://invalid./"))
}
