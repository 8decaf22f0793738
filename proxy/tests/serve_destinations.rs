//! Where the proxy connects (issue 18), end to end on a real proxy, as
//! tables of spellings: names that resolve to listed addresses, local and
//! link-local destinations, DNS rebinding. Every test runs in its own
//! loopback-only network namespace (`tests/netns`): the test addresses
//! (192.0.2.0/24, 10.66.77.0/24, 2001:db8::/32) and names (`*.test` in a
//! private /etc/hosts) exist only there, so no request can leave the
//! machine. The other destination classes (ports, brackets, the admin API
//! through the proxy) are in `serve_destinations_spelling.rs`.
//!
//! To add a case, add a row to a table (`tests/netns/table.rs`: a name,
//! a raw request and the status it must get).
#![allow(clippy::unwrap_used)]

mod netns;
mod serve_support;

use netns::origin::Origin;
use netns::table::*;
use serve_support::*;

fn listed_address_rows(p: u16) -> Vec<Row> {
    use Mode::*;
    let mut rows = vec![];
    let blocked = [
        "http://listed.test:{P}/",
        "http://LISTED.Test:{P}/a/b?c=d",
        "http://listed.test.:{P}/",
        "http://listed.test/",
        "http://u:pw@listed.test:{P}/",
        "http://mapped.test:{P}/",
        "http://nat64.test:{P}/",
        "http://multi.test:{P}/",
        "http://listed6.test:{P}/",
        "http://prefix.test:{P}/x/",
        "http://prefix.test:{P}/x/deeper/a.jpg",
        "http://prefix.test:{P}/y/../x/a.jpg",
        "http://exact.test:{P}/exact/file.jpg",
        // IP literals: blocked by the URL check already; kept so nothing
        // regresses.
        "http://10.66.77.88:{P}/",
        "http://0x0a424d58:{P}/",
        "http://[2001:db8:0:0:0:0:0:66]:{P}/",
        // IPv4-mapped and NAT64 literals reach the IPv4 address: the
        // address check blocks them whatever the URL canonicaliser does.
        "http://[::ffff:10.66.77.88]:{P}/",
        "http://[::ffff:a42:4d58]:{P}/",
        "http://[0:0:0:0:0:ffff:10.66.77.88]:{P}/",
        "http://[64:ff9b::10.66.77.88]:{P}/",
        "http://[::ffff:10.66.77.89]:{P}/x/a.jpg",
    ];
    for u in blocked {
        let u = u.replace("{P}", &p.to_string());
        rows.push(row(format!("GET {u}"), Forward, get(&u), 451));
    }
    // A `url` entry (no query) on the address, reached with a query.
    let u = format!("http://exact.test:{p}/exact/file.jpg?size=large");
    rows.push(row(format!("GET {u}"), Forward, get(&u), 451));
    for a in [
        "listed.test:443",
        "listed.test:{P}",
        "LISTED.TEST.:{P}",
        "mapped.test:{P}",
        "nat64.test:443",
        "multi.test:{P}",
        "listed6.test:{P}",
        "[::ffff:10.66.77.88]:{P}",
        "[64:ff9b::a42:4d58]:443",
    ] {
        let a = a.replace("{P}", &p.to_string());
        rows.push(row(format!("CONNECT {a}"), Forward, connect(&a), 451));
    }
    for (h, path) in [
        ("listed.test:{P}", "/"),
        ("multi.test:{P}", "/"),
        ("mapped.test:{P}", "/"),
        ("prefix.test:{P}", "/x/a.jpg"),
        ("exact.test:{P}", "/exact/file.jpg"),
        ("[::ffff:10.66.77.88]:{P}", "/"),
    ] {
        let h = h.replace("{P}", &p.to_string());
        rows.push(row(
            format!("Host: {h} {path}"),
            Transparent,
            host(&h, path),
            451,
        ));
    }
    // The same servers where nothing is listed: reached.
    for u in [
        "http://ok.test:{P}/",
        "http://ok6.test:{P}/",
        "http://prefix.test:{P}/y/",
        "http://exact.test:{P}/exact/other.jpg",
        "http://[2001:db8::10]:{P}/",
    ] {
        let u = u.replace("{P}", &p.to_string());
        rows.push(row(format!("GET {u}"), Forward, get(&u), 200));
    }
    rows.push(row(
        "CONNECT ok.test",
        Forward,
        connect(&format!("ok.test:{p}")),
        200,
    ));
    rows.push(row(
        "Host: ok.test",
        Transparent,
        host(&format!("ok.test:{p}"), "/"),
        200,
    ));
    rows
}

/// Class 1: a name that resolves to a listed address gets the stop page,
/// over HTTP, CONNECT and transparent mode, before any connection.
#[test]
fn a_name_resolving_to_a_listed_address_is_blocked() {
    netns::run(
        "a_name_resolving_to_a_listed_address_is_blocked",
        &SETUP,
        || async {
            let origin = Origin::start(0).await;
            let dir = TempDir::new("dest-listed");
            // Every test address is allowed as a destination: the 451s come
            // from the lists alone.
            let acl = format!(
                "allow_destinations = [\"192.0.2.0/24\", \"10.66.77.0/24\", \"2001:db8::/32\", \"64:ff9b::/96\"]\n\
                 connect_ports = [443, {}]",
                origin.port
            );
            let (forward, transparent) = proxies(&dir, &with_list(&dir, &acl, "")).await;
            let rows = listed_address_rows(origin.port);
            run_rows(&rows, &forward, &transparent, &origin).await;
            for ip in ["10.66.77.88", "2001:db8::66"] {
                assert!(!origin.reached(ip.parse().unwrap()), "{ip} was reached");
            }
            let (_, m) = admin_request(forward.admin.unwrap(), "GET", "/metrics", None).await;
            let blocked = counter(
                &m,
                "hashwall_destinations_refused_total{reason=\"listed_address\"}",
            );
            assert!(blocked >= 20, "{m}");
            forward.stop().await;
            transparent.stop().await;
        },
    );
}

fn local_rows(s: u16) -> Vec<Row> {
    use Mode::*;
    let mut rows = vec![];
    for h in [
        "127.0.0.1:{S}",
        "127.1:{S}",
        "127.0.1:{S}",
        "2130706433:{S}",
        "0x7f000001:{S}",
        "0x7f.1:{S}",
        "0177.0.0.1:{S}",
        "127.0.0.2:{S}",
        "127.255.255.254:{S}",
        "localhost:{S}",
        "LocalHost.:{S}",
        "local.test:{S}",
        "local6.test:{S}",
        "[::1]:{S}",
        "[0:0:0:0:0:0:0:1]:{S}",
        "[::ffff:127.0.0.1]:{S}",
        "[::ffff:7f00:1]:{S}",
        "0.0.0.0:{S}",
        "0:{S}",
        "zero.test:{S}",
        "[::]:{S}",
        "[::ffff:0.0.0.0]:{S}",
        // The host's own (non-loopback) addresses.
        "192.0.2.10:{S}",
        "ok.test:{S}",
        "[2001:db8::10]:{S}",
        "ok6.test:{S}",
        // Link-local: the cloud metadata service above all.
        "169.254.169.254",
        "169.254.169.254:{S}",
        "metadata.test",
        "2852039166",
        "[::ffff:169.254.169.254]",
        "[64:ff9b::a9fe:a9fe]",
        "[fe80::1]:{S}",
    ] {
        let h = h.replace("{S}", &s.to_string());
        rows.push(row(
            format!("GET http://{h}/"),
            Forward,
            get(&format!("http://{h}/latest/meta-data/")),
            403,
        ));
    }
    for a in [
        "127.0.0.1:443",
        "127.1:443",
        "localhost:443",
        "local.test:443",
        "[::1]:443",
        "[::ffff:127.0.0.1]:443",
        "0.0.0.0:443",
        "169.254.169.254:443",
        "metadata.test:443",
        "[fe80::1]:443",
        "192.0.2.10:443",
        "ok.test:{S}",
    ] {
        let a = a.replace("{S}", &s.to_string());
        rows.push(row(format!("CONNECT {a}"), Forward, connect(&a), 403));
    }
    for h in [
        "127.0.0.1:{S}",
        "localhost:{S}",
        "[::1]:{S}",
        "metadata.test",
        "ok.test:{S}",
    ] {
        let h = h.replace("{S}", &s.to_string());
        rows.push(row(format!("Host: {h}"), Transparent, host(&h, "/"), 403));
    }
    rows
}

/// Class 4: the proxy host, its loopback and its link are not reachable
/// through the proxy by default, by any spelling; an explicit allow opens
/// exactly what it names, and a deny wins over it.
#[test]
fn local_and_link_local_destinations_are_refused() {
    netns::run(
        "local_and_link_local_destinations_are_refused",
        &SETUP,
        || async {
            let service = Origin::start(0).await;
            let s = service.port;
            let dir = TempDir::new("dest-local");
            // The default destinations rule: the test base config's
            // loopback allowance replaced by an empty one.
            let acl = format!("allow_destinations = []\nconnect_ports = [443, {s}]");
            let (forward, transparent) = proxies(&dir, &with_list(&dir, &acl, "")).await;
            let rows = local_rows(s);
            run_rows(&rows, &forward, &transparent, &service).await;
            let (_, m) = admin_request(forward.admin.unwrap(), "GET", "/metrics", None).await;
            for reason in ["loopback", "unspecified", "link_local", "host_address"] {
                let series = format!("hashwall_destinations_refused_total{{reason=\"{reason}\"}}");
                assert!(counter(&m, &series) > 0, "{reason}: {m}");
            }
            assert!(
                counter(
                    &m,
                    "hashwall_requests_total{method=\"GET\",outcome=\"destination_denied\"}"
                ) > 20,
                "{m}"
            );
            let (status, _, body) = raw(
                forward.addr,
                get(&format!("http://127.0.0.1:{s}/")).as_bytes(),
            )
            .await;
            assert_eq!(status, 403);
            assert!(body.contains("proxy host or its local link"), "{body}");
            forward.stop().await;
            transparent.stop().await;

            // Allowed explicitly: 127.0.0.1 and the test network, with one
            // address of it denied.
            let acl = format!(
                "allow_destinations = [\"127.0.0.1/32\", \"192.0.2.0/24\"]\n\
                 deny_destinations = [\"192.0.2.11/32\"]\nconnect_ports = [443, {s}]"
            );
            let (forward, transparent) = proxies(&dir, &with_list(&dir, &acl, "")).await;
            let mut rows = Vec::new();
            for (h, want) in [
                ("127.0.0.1:{S}", 200),
                ("127.1:{S}", 200),
                ("local.test:{S}", 200),
                ("ok.test:{S}", 200),
                ("[::1]:{S}", 403),
                ("127.0.0.2:{S}", 403),
                ("other.test:{S}", 403),
                ("192.0.2.11:{S}", 403),
                ("[::ffff:192.0.2.11]:{S}", 403),
                ("metadata.test", 403),
            ] {
                let h = h.replace("{S}", &s.to_string());
                rows.push(row(
                    format!("allowed? {h}"),
                    Mode::Forward,
                    get(&format!("http://{h}/")),
                    want,
                ));
            }
            rows.push(row(
                "CONNECT allowed",
                Mode::Forward,
                connect(&format!("127.0.0.1:{s}")),
                200,
            ));
            rows.push(row(
                "CONNECT denied",
                Mode::Forward,
                connect(&format!("other.test:{s}")),
                403,
            ));
            run_rows(&rows, &forward, &transparent, &service).await;
            let (_, m) = admin_request(forward.admin.unwrap(), "GET", "/metrics", None).await;
            assert!(
                counter(
                    &m,
                    "hashwall_destinations_refused_total{reason=\"denied_network\"}"
                ) >= 4,
                "{m}"
            );
            forward.stop().await;
            transparent.stop().await;
        },
    );
}

/// DNS rebinding: a name whose every lookup gets the other of an
/// unlisted and a listed address (a DNS server in the namespace, TTL 0,
/// the proxy's cache off). The proxy looks the name up exactly once per
/// request and connects only to the address it checked: requests
/// alternate between reaching the unlisted server and the stop page, and
/// the listed address is never reached. With the cache on, one lookup
/// serves many requests.
#[test]
fn a_name_that_rebinds_never_reaches_the_listed_address() {
    netns::run(
        "a_name_that_rebinds_never_reaches_the_listed_address",
        &SETUP,
        || async {
            let origin = Origin::start(0).await;
            let p = origin.port;
            let dns = netns::dns::Rebinder::start(
                "flip.test",
                vec![[192, 0, 2, 10].into(), [10, 66, 77, 88].into()],
            )
            .await;
            let dir = TempDir::new("dest-rebind");
            let acl = format!(
                "allow_destinations = [\"192.0.2.0/24\", \"10.66.77.0/24\"]\nconnect_ports = [443, {p}]"
            );
            let more = "[timeouts]\ndns_cache_secs = 0\n";
            let (forward, transparent) = proxies(&dir, &with_list(&dir, &acl, more)).await;
            let mut rows = Vec::new();
            for i in 0..30 {
                // Lookups alternate: even ones get the unlisted address.
                let want = if i % 2 == 0 { 200 } else { 451 };
                let (name, req, mode) = match i % 3 {
                    0 => ("CONNECT", connect(&format!("flip.test:{p}")), Mode::Forward),
                    1 => (
                        "GET",
                        get(&format!("http://flip.test:{p}/{i}")),
                        Mode::Forward,
                    ),
                    _ => (
                        "Host",
                        host(&format!("flip.test:{p}"), "/"),
                        Mode::Transparent,
                    ),
                };
                rows.push(row(
                    format!("{name} flip.test, lookup {i}"),
                    mode,
                    req,
                    want,
                ));
            }
            run_rows(&rows, &forward, &transparent, &origin).await;
            assert!(!origin.reached("10.66.77.88".parse().unwrap()));
            assert_eq!(dns.queries(), rows.len(), "one lookup per request");
            forward.stop().await;
            transparent.stop().await;

            // The cache on: one lookup for many requests, each checked.
            let (forward, transparent) = proxies(&dir, &with_list(&dir, &acl, "")).await;
            let before = dns.queries();
            let first = raw(
                forward.addr,
                get(&format!("http://flip.test:{p}/")).as_bytes(),
            )
            .await
            .0;
            for _ in 0..10 {
                let (status, _, _) = raw(
                    forward.addr,
                    get(&format!("http://flip.test:{p}/")).as_bytes(),
                )
                .await;
                assert_eq!(status, first);
            }
            assert_eq!(dns.queries(), before + 1);
            assert!(!origin.reached("10.66.77.88".parse().unwrap()));
            forward.stop().await;
            transparent.stop().await;
        },
    );
}
