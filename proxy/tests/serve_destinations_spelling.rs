//! Spellings of a destination the proxy must refuse before it resolves or
//! connects anything (issue 18): invalid ports (never "port 80"),
//! brackets that do not enclose a whole IPv6 literal, and the proxy's own
//! listeners (the admin API above all) reached by any spelling of their
//! address. End to end on real proxies, each test in its own
//! loopback-only network namespace (`tests/netns`); rows in the style of
//! `tests/netns/table.rs`.
#![allow(clippy::unwrap_used)]

mod netns;
mod serve_support;

use netns::origin::Origin;
use netns::table::*;
use serve_support::*;

fn invalid_port_rows() -> Vec<Row> {
    use Mode::*;
    let mut rows = vec![];
    for u in [
        "http://ok.test:99999/",
        "http://ok.test:65536/",
        "http://ok.test:-1/",
        "http://ok.test:+80/",
        "http://ok.test:0x50/",
        "http://ok.test:80a/",
        "http://ok.test:/",
        "http://ok.test:0/",
        "http://ok.test:80:80/",
        "http://ok.test:99999999999999999999999999999/",
        "http://ok.test:4294967376/",
        "http://blocked.example:99999/",
        "http://listed.test:99999/",
        "http://u:pw@ok.test:99999/",
        "http://192.0.2.10:99999/",
        "http://[2001:db8::10]:99999/",
        "http://[2001:db8::10]:/",
        "http://[::1]:65536/",
    ] {
        rows.push(row(format!("GET {u}"), Forward, get(u), 400));
    }
    // A Host field with an invalid port is a 400 (RFC 9112 §3.2) even
    // where the absolute-form target decides.
    for h in ["ok.test:99999", "ok.test:-1", "ok.test:", "ok.test:0x50"] {
        rows.push(row(
            format!("GET http://ok.test/ with Host: {h}"),
            Forward,
            format!("GET http://ok.test/ HTTP/1.1\r\nHost: {h}\r\nConnection: close\r\n\r\n"),
            400,
        ));
    }
    for a in [
        "ok.test:99999",
        "ok.test:65536",
        "ok.test:-1",
        "ok.test:+443",
        "ok.test:0x1bb",
        "ok.test:443a",
        "ok.test:",
        "ok.test:443:443",
        "[2001:db8::10]:99999",
        "[2001:db8::10]:",
    ] {
        rows.push(row(format!("CONNECT {a}"), Forward, connect(a), 400));
    }
    for h in [
        "ok.test:99999",
        "ok.test:65536",
        "ok.test:+80",
        "ok.test:0x50",
        "ok.test:80a",
        "ok.test:",
        "ok.test:0",
        "[2001:db8::10]:99999",
    ] {
        rows.push(row(format!("Host: {h}"), Transparent, host(h, "/"), 400));
    }
    rows
}

/// Class 2: an invalid port is a 400 whatever `on_invalid_url` says, and
/// nothing is connected on port 80 (where the invalid port used to go).
#[test]
fn an_invalid_port_is_refused_and_never_port_80() {
    netns::run(
        "an_invalid_port_is_refused_and_never_port_80",
        &SETUP,
        || async {
            let port80 = Origin::start(80).await;
            let dir = TempDir::new("dest-port");
            let acl = "allow_destinations = [\"192.0.2.0/24\", \"2001:db8::/32\"]";
            for mode in ["open", "closed"] {
                let more = format!("[proxy]\non_invalid_url = \"{mode}\"\n");
                let (forward, transparent) = proxies(&dir, &with_list(&dir, acl, &more)).await;
                run_rows(&invalid_port_rows(), &forward, &transparent, &port80).await;
                assert_eq!(
                    port80.count(),
                    0,
                    "on_invalid_url = {mode}: port 80 reached"
                );
                // The control: the origin on port 80 is there to be reached.
                let (status, _, body) = raw(forward.addr, get("http://ok.test/").as_bytes()).await;
                assert_eq!((status, port80.count()), (200, 1), "{body}");
                let (_, m) = admin_request(forward.admin.unwrap(), "GET", "/metrics", None).await;
                assert!(
                    counter(
                        &m,
                        "hashwall_authorities_refused_total{reason=\"invalid_port\"}"
                    ) >= 20,
                    "{m}"
                );
                forward.stop().await;
                transparent.stop().await;
                port80.reset();
            }
        },
    );
}

fn bracket_rows() -> Vec<Row> {
    use Mode::*;
    let mut rows = vec![];
    // The fuzz find (fuzz/corpus/proxy_request), then its relatives.
    rows.push(row(
        "CONNECT blockedcked[::1]axe.blocked.example:443 (fuzz)",
        Forward,
        "CONNECT blockedcked[::1]axe.blocked.example:443 HTTP/1.1\r\nHost: x\r\n\r\n".into(),
        400,
    ));
    for a in [
        "blockedcked[::1]axe.blocked.example:443",
        "a[b.blocked.example:443",
        "a]b.blocked.example:443",
        "blocked.example[:443",
        "[::1:443",
        "::1]:443",
        "[::1]x:443",
        "x[::1]:443",
        "[::1]]:443",
        "[[::1]]:443",
        "[]:443",
        "[blocked.example]:443",
        "[10.66.77.88]:443",
        "[listed.test]:443",
        "[fe80::1%25lo]:443",
        "[v1.x]:443",
    ] {
        rows.push(row(format!("CONNECT {a}"), Forward, connect(a), 400));
    }
    // Not authority-form: a scheme or a path (a fuzz find, then its
    // relatives); the tunnel would go to the part after `://`. The Host
    // field is valid, so only the target's form refuses them.
    for a in [
        "blocked.example://ok.test:443",
        "x.blocked.example://ok.test:443",
        "https://ok.test:443",
        "ok.test:443/",
        "ok.test:443/blocked.example",
        "ok.test:443?blocked.example",
    ] {
        rows.push(row(
            format!("CONNECT {a}"),
            Forward,
            format!("CONNECT {a} HTTP/1.1\r\nHost: ok.test:443\r\n\r\n"),
            400,
        ));
    }
    for u in [
        "http://blockedcked[::1]axe.blocked.example/",
        "http://a[b.blocked.example/",
        "http://[blocked.example]/",
        "http://[10.66.77.88]/",
        "http://[::1]x/",
        "http://x[::1]/",
    ] {
        rows.push(row(format!("GET {u}"), Forward, get(u), 400));
    }
    for h in [
        "blockedcked[::1]axe.blocked.example",
        "blockedcked[::1]axe.blocked.example:443",
        "a[b.blocked.example",
        "[listed.test]",
        "[::1]x",
        "ok.test]",
    ] {
        rows.push(row(
            format!("GET http://ok.test/ with Host: {h}"),
            Forward,
            format!("GET http://ok.test/ HTTP/1.1\r\nHost: {h}\r\nConnection: close\r\n\r\n"),
            400,
        ));
        rows.push(row(format!("Host: {h}"), Transparent, host(h, "/"), 400));
    }
    rows
}

/// Class 6: brackets anywhere but around a whole IPv6 literal are a 400
/// in every place a host is written.
#[test]
fn brackets_not_around_an_ipv6_literal_are_refused() {
    netns::run(
        "brackets_not_around_an_ipv6_literal_are_refused",
        &SETUP,
        || async {
            let origin = Origin::start(443).await;
            let dir = TempDir::new("dest-brackets");
            let acl = "allow_destinations = [\"192.0.2.0/24\", \"10.66.77.0/24\", \"127.0.0.0/8\", \"::1/128\"]";
            let (forward, transparent) = proxies(&dir, &with_list(&dir, acl, "")).await;
            run_rows(&bracket_rows(), &forward, &transparent, &origin).await;
            let (_, m) = admin_request(forward.admin.unwrap(), "GET", "/metrics", None).await;
            assert!(
                counter(
                    &m,
                    "hashwall_authorities_refused_total{reason=\"brackets\"}"
                ) >= 10,
                "{m}"
            );
            forward.stop().await;
            transparent.stop().await;
        },
    );
}

/// Spellings of a loopback (or any local) address for the listeners on
/// `forward` (absolute-form and CONNECT rows) and `transparent` (Host
/// rows) ports.
fn self_rows(forward: u16, transparent: u16, what: &str) -> Vec<Row> {
    use Mode::*;
    let hosts = [
        "127.0.0.1",
        "127.1",
        "127.0.1",
        "2130706433",
        "0x7f000001",
        "0x7f.1",
        "0x7f.0.0.1",
        "0177.0.0.1",
        "0177.1",
        "017700000001",
        "127.0.0.2",
        "127.255.255.254",
        "[::1]",
        "[0:0:0:0:0:0:0:1]",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "[0:0:0:0:0:ffff:127.0.0.1]",
        "[64:ff9b::7f00:1]",
        "localhost",
        "LOCALHOST",
        "localhost.",
        "admin.test",
        "ADMIN.test.",
        "admin6.test",
        "0.0.0.0",
        "0",
        "[::]",
        "[::ffff:0.0.0.0]",
        "u:pw@127.1",
    ];
    let mut rows = vec![];
    // An address with a trailing dot is a name to the system resolver
    // (and to DNS, where it does not exist): it resolves to nothing, so
    // nothing is connected (502).
    rows.push(row(
        format!("{what}: GET http://127.0.0.1.:{forward}/stats"),
        Forward,
        get(&format!("http://127.0.0.1.:{forward}/stats")),
        502,
    ));
    for h in hosts {
        for (method, path) in [("GET", "/stats"), ("POST", "/reload"), ("GET", "/metrics")] {
            rows.push(row(
                format!("{what}: {method} http://{h}:{forward}{path}"),
                Forward,
                format!(
                    "{method} http://{h}:{forward}{path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                ),
                403,
            ));
        }
        if !h.contains('@') {
            rows.push(row(
                format!("{what}: CONNECT {h}:{forward}"),
                Forward,
                connect(&format!("{h}:{forward}")),
                403,
            ));
            rows.push(row(
                format!("{what}: Host: {h}:{transparent}"),
                Transparent,
                host(&format!("{h}:{transparent}"), "/stats"),
                403,
            ));
        }
    }
    rows
}

fn reloads(metrics: &str) -> u64 {
    counter(metrics, "hashwall_reloads_total{result=\"success\"}")
}

/// A whole configuration: listeners as given (fixed ports are free in a
/// namespace of our own; the matching API on the admin port + 2), polling
/// off, the address list.
fn listening(dir: &TempDir, proxy: &str, admin: &str, acl: &str, more: &str) -> String {
    let admin_addr: std::net::SocketAddr = admin.parse().unwrap();
    let api = format!("127.0.0.1:{}", admin_addr.port() + 2);
    format!(
        "[proxy]\nlisten = \"{proxy}\"\n{more}\n[admin]\nlisten = \"{admin}\"\ntoken = \"t\"\n\
         [api]\nlisten = \"{api}\"\n[lists]\npoll_secs = 0\n{}",
        with_list(dir, acl, "")
    )
}

/// Class 3: the admin API, the matching API and the proxy itself are never
/// reached through the proxy, by any spelling of their addresses, even with
/// loopback allowed as a destination; a listener on the wildcard address is itself at
/// every address of the host.
#[test]
fn the_admin_api_is_not_reachable_through_the_proxy() {
    netns::run(
        "the_admin_api_is_not_reachable_through_the_proxy",
        &SETUP,
        || async {
            // Never connected to; run_rows needs an origin to watch.
            let origin = Origin::start(0).await;
            let dir = TempDir::new("dest-admin");
            // Loopback and the rest allowed: the listener rule alone must
            // refuse. CONNECT may go to the listeners' ports.
            let acl = "allow_destinations = [\"127.0.0.0/8\", \"::1/128\", \"0.0.0.0/8\", \"::/128\", \
                       \"192.0.2.0/24\", \"2001:db8::/32\", \"64:ff9b::/96\"]\n\
                       connect_ports = [443, 3128, 9128, 3129, 9129, 9130, 9131]";
            let forward = Proxy::start(&listening(
                &dir,
                "127.0.0.1:3128",
                "127.0.0.1:9128",
                acl,
                "",
            ))
            .await;
            let transparent = Proxy::start(&listening(
                &dir,
                "127.0.0.1:3129",
                "127.0.0.1:9129",
                acl,
                "transparent = true",
            ))
            .await;
            let admin = forward.admin.unwrap();
            let (_, m) = admin_request(admin, "GET", "/metrics", Some("t")).await;
            let reloads_before = reloads(&m);
            let mut rows = self_rows(9128, 9129, "admin");
            rows.extend(self_rows(3128, 3129, "proxy"));
            rows.extend(self_rows(9130, 9131, "api"));
            run_rows(&rows, &forward, &transparent, &origin).await;
            let (_, m) = admin_request(admin, "GET", "/metrics", Some("t")).await;
            assert_eq!(
                reloads(&m),
                reloads_before,
                "a reload went through the proxy"
            );
            assert!(
                counter(
                    &m,
                    "hashwall_destinations_refused_total{reason=\"listener\"}"
                ) > 50,
                "{m}"
            );
            forward.stop().await;
            transparent.stop().await;

            // Listeners on the wildcard addresses: every address of the
            // host at their ports is the proxy itself.
            let wild = Proxy::start(&listening(&dir, "[::]:3128", "0.0.0.0:9128", acl, "")).await;
            let mut rows = vec![];
            for h in [
                "192.0.2.10",
                "192.0.2.11",
                "ok.test",
                "[::ffff:192.0.2.10]",
                "[2001:db8::10]",
                "ok6.test",
                "127.0.0.1",
                "[::1]",
            ] {
                for port in [9128, 3128] {
                    rows.push(row(
                        format!("wildcard: GET http://{h}:{port}/stats"),
                        Mode::Forward,
                        get(&format!("http://{h}:{port}/stats")),
                        403,
                    ));
                }
            }
            run_rows(&rows, &wild, &wild, &origin).await;
            wild.stop().await;
        },
    );
}
