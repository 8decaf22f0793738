//! The proxy's request path from a raw request head: routing (proxy
//! authentication, loops, CONNECT, absolute- and origin-form targets), the
//! URL decision against a snapshot of the demo list, and the head sent
//! upstream.
//!
//! The first byte picks the configuration (transparent mode, Basic
//! authentication, fail-open or fail-closed for invalid URLs,
//! `X-Forwarded-For`); the rest is an HTTP/1 request head, parsed with
//! `httparse` and turned into `http` types as hyper does. Properties:
//!
//! * nothing panics;
//! * a request that passes routing carried the one valid credential (when
//!   authentication is on), no `Via` hop of ours, and does not target the
//!   proxy's own listener;
//! * a request that passes routing has a well-formed target: its host is a
//!   whole bracketed IPv6 literal or holds no bracket (a CONNECT to
//!   `a[::1]b.blocked.example:443` was once routed to host `a[`), and a
//!   port written in its authority is the port routed to (an invalid port
//!   was once routed to port 80);
//! * the proxy never forwards a URL the lists block: if the request target
//!   as the client wrote it, the URL the decision checked, the URI sent
//!   upstream, or the upstream `Host` with the path is blocked by
//!   [`Snapshot::check_url`], the decision is a block;
//! * the upstream head holds no hop-by-hop field (fixed ones, and those the
//!   client's `Connection` named), no userinfo, and a `Host` equal to the
//!   target's authority.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::OnceLock;

use hashwall::{Action, Snapshot, SnapshotBuilder};
use hashwall_lists::List;
use hashwall_proxy::serve::authority::{Authority, UserInfo};
use hashwall_proxy::serve::config::{AuthConfig, Config, FailMode, UserConfig};
use hashwall_proxy::serve::phases::names_listener;
use hashwall_proxy::serve::route::{Decision, Refusal, Target, decide_url, route, upstream_head};
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{HeaderMap, Method, Request, Uri};

/// The proxy's own listener in every configuration (the default's).
pub const LISTENER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 3128);

/// The only credential accepted when authentication is on: `alice:s3cret`,
/// base64 without padding.
pub const CREDENTIAL_B64: &str = "YWxpY2U6czNjcmV0";

/// The built-in demo list, plus a few entries for odd hosts (an IP address,
/// a port, escapes in a path).
const DEMO_LIST: &str = include_str!("../../../proxy/assets/demo.list");
const EXTRA_LIST: &str = "# hashwall-list: 1\n# id: fuzz-extra\n# issuer: fuzz\n\
    domain 192.0.2.7\ndomain xn--bcher-kva.example\n\
    url-prefix odd.example/a%20b/\nurl-prefix ports.example:8080/p/\n\
    url http://exact.example/q?x=1\n";

fn build_snapshot() -> Result<Snapshot, String> {
    let mut b = SnapshotBuilder::default();
    for (text, id) in [(DEMO_LIST, "demo"), (EXTRA_LIST, "extra")] {
        let list = List::from_text(text.as_bytes(), id).map_err(|e| e.to_string())?;
        b.add_list(&list, &Default::default())
            .map_err(|e| e.to_string())?;
    }
    Ok(b.build())
}

/// The snapshot every input is decided against.
///
/// # Panics
///
/// If the embedded lists do not load (a defect, not an input).
pub fn snapshot() -> &'static Snapshot {
    static SNAPSHOT: OnceLock<Snapshot> = OnceLock::new();
    SNAPSHOT.get_or_init(|| match build_snapshot() {
        Ok(s) => s,
        Err(e) => panic!("building the demo snapshot: {e}"),
    })
}

fn configs() -> &'static [Config; 16] {
    static CONFIGS: OnceLock<[Config; 16]> = OnceLock::new();
    CONFIGS.get_or_init(|| {
        std::array::from_fn(|i| {
            let mut c = Config::default_config();
            c.proxy.listen = LISTENER;
            c.proxy.transparent = i & 1 != 0;
            c.auth = (i & 2 != 0).then(|| AuthConfig {
                realm: "fuzz".into(),
                users: vec![UserConfig {
                    name: "alice".into(),
                    password: "s3cret".into(),
                }],
            });
            c.proxy.on_invalid_url = if i & 4 != 0 {
                FailMode::Open
            } else {
                FailMode::Closed
            };
            c.proxy.forwarded_for = i & 8 != 0;
            c
        })
    })
}

fn blocked(url: &str) -> bool {
    snapshot()
        .check_url(url)
        .is_ok_and(|v| v.action() == Action::Block)
}

/// Whether the first `Proxy-Authorization` is `Basic` with exactly the one
/// valid credential (modulo case of the scheme, blanks, `=` padding).
fn has_credential(headers: &HeaderMap) -> bool {
    let Some(v) = headers
        .get(header::PROXY_AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some((scheme, rest)) = v.trim().split_once(' ') else {
        return false;
    };
    scheme.eq_ignore_ascii_case("basic") && rest.trim().trim_end_matches('=') == CREDENTIAL_B64
}

/// A request head as hyper would hand it over: `None` where hyper would
/// answer 400 itself.
fn parse_head(bytes: &[u8]) -> Option<(Method, String, Uri, HeaderMap)> {
    let mut raw = [httparse::EMPTY_HEADER; 32];
    let mut req = httparse::Request::new(&mut raw);
    let Ok(httparse::Status::Complete(_)) = req.parse(bytes) else {
        return None;
    };
    let method = Method::from_bytes(req.method?.as_bytes()).ok()?;
    let target = req.path?.to_owned();
    let uri: Uri = target.parse().ok()?;
    let mut headers = HeaderMap::new();
    for h in req.headers.iter() {
        let name = HeaderName::from_bytes(h.name.as_bytes()).ok()?;
        let value = HeaderValue::from_bytes(h.value).ok()?;
        headers.append(name, value);
    }
    Some((method, target, uri, headers))
}

/// Checks the properties above on `data`.
pub fn proxy_request(data: &[u8]) {
    let Some((&selector, head)) = data.split_first() else {
        return;
    };
    let config = &configs()[usize::from(selector & 15)];
    let Some((method, raw_target, uri, headers)) = parse_head(head) else {
        return;
    };
    let routed = route(config, &method, &uri, &headers, |h, p| {
        names_listener(h, p, LISTENER)
    });
    let target = match routed {
        Ok(t) => t,
        Err(Refusal::AuthRequired) => {
            assert!(config.auth.is_some(), "407 without authentication on");
            assert!(!has_credential(&headers), "407 for the valid credential");
            return;
        }
        Err(_) => return,
    };
    if config.auth.is_some() {
        assert!(has_credential(&headers), "passed without the credential");
    }
    let pseudonym = &config.proxy.via_pseudonym;
    for via in headers.get_all(header::VIA) {
        let v = String::from_utf8_lossy(via.as_bytes()).to_ascii_lowercase();
        let ours = v
            .split(',')
            .any(|hop| hop.split_whitespace().nth(1) == Some(pseudonym.as_str()));
        assert!(!ours, "passed with our own Via: {v:?}");
    }
    let (host, port) = target.host_port();
    assert!(
        !names_listener(host, port, LISTENER),
        "routed to the proxy itself"
    );
    let parsed = Authority::parse(host, UserInfo::Refuse);
    assert!(
        parsed.is_ok_and(|a| a.host == host && a.port.is_none()),
        "routed to a malformed host {host:?}"
    );
    if let (Target::Http(_), Some(authority)) = (&target, uri.authority()) {
        let written = Authority::parse(authority.as_str(), UserInfo::Allow);
        assert!(
            written.is_ok_and(|a| a.port.unwrap_or(80) == port),
            "routed to port {port} from the authority {authority:?}"
        );
    }

    let url = target.url();
    let decision = decide_url(snapshot(), &url, config.proxy.on_invalid_url);
    let is_block = matches!(decision, Decision::Block(_));
    // What the client wrote, as a URL.
    let written = match &target {
        Target::Connect { .. } => format!("https://{raw_target}/"),
        Target::Http(_) if uri.scheme().is_some() => raw_target.clone(),
        Target::Http(_) => {
            let host = headers
                .get(header::HOST)
                .map(|h| String::from_utf8_lossy(h.as_bytes()).into_owned())
                .unwrap_or_default();
            format!("http://{host}{raw_target}")
        }
    };
    for candidate in [&url, &written] {
        assert!(
            is_block || !blocked(candidate),
            "{candidate:?} is blocked but the decision on {url:?} is {decision:?}"
        );
    }
    let Target::Http(target_uri) = target else {
        return;
    };
    if matches!(decision, Decision::Block(_) | Decision::Invalid) {
        return;
    }
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .body(())
        .map(Request::into_parts);
    let Ok((mut parts, ())) = request else {
        panic!("a parsed head does not rebuild");
    };
    parts.headers = headers.clone();
    upstream_head(
        &mut parts,
        target_uri,
        &config.proxy,
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
    );
    let sent = parts.uri.to_string();
    assert!(!blocked(&sent), "forwarded {sent:?}, which is blocked");
    let authority = parts.uri.authority().map(|a| a.as_str().to_owned());
    assert!(
        authority.as_deref().is_some_and(|a| !a.contains('@')),
        "userinfo or no authority upstream: {sent:?}"
    );
    let host = parts.headers.get(header::HOST).map(|h| h.as_bytes());
    assert_eq!(host, authority.as_deref().map(str::as_bytes), "Host");
    let pq = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let by_host = format!("http://{}{pq}", authority.unwrap_or_default());
    assert!(!blocked(&by_host), "Host and path {by_host:?} are blocked");

    let mut hop: Vec<String> = [
        "connection",
        "proxy-authorization",
        "proxy-authenticate",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "proxy-connection",
        "keep-alive",
    ]
    .map(String::from)
    .to_vec();
    // Every token a `Connection` field names, even in a field that also
    // holds bytes outside ASCII.
    for v in headers.get_all(header::CONNECTION) {
        let v = String::from_utf8_lossy(v.as_bytes());
        hop.extend(v.split(',').map(|t| t.trim().to_ascii_lowercase()));
    }
    for name in parts.headers.keys() {
        let n = name.as_str();
        // The proxy sets these itself after the removal.
        if matches!(n, "host" | "via" | "x-forwarded-for") {
            continue;
        }
        assert!(!hop.iter().any(|h| h == n), "hop-by-hop {n} forwarded");
    }
    let via = parts.headers.get(header::VIA).map(|v| v.as_bytes());
    let ours = format!("1.1 {pseudonym}");
    assert!(
        via.is_some_and(|v| v.ends_with(ours.as_bytes())),
        "Via {via:?} does not end with ours"
    );
}
