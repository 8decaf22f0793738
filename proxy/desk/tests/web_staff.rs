//! Staff work over HTTP against a running desk: login, lock-out, CSRF,
//! the four-eyes flow over the HTML forms and over the JSON API, the
//! published list, takedown, statistics (JSON, CSV, page) and the public
//! statistics switch.

mod web_common;

use serde_json::{Value, json};
use web_common::{Client, PASSWORD, Server, assert_security_headers, hidden};

/// Submits a public report through the JSON intake; its reference.
async fn report(c: &mut Client, url: &str, category: &str) -> String {
    let r = c
        .json(
            "POST",
            "/api/v1/reports",
            None,
            &json!({"urls": [url], "category": category}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["reference"]
        .as_str()
        .expect("reference")
        .to_string()
}

/// A logged-in staff client.
async fn staff(server: &Server, name: &str) -> Client {
    let mut c = server.client();
    let r = c.login(name, PASSWORD).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/queue"));
    c
}

/// The CSRF token on a staff page.
async fn csrf(c: &mut Client, path: &str) -> (web_common::Response, String) {
    let page = c.get(path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let token = hidden(&page.body, "csrf");
    (page, token)
}

/// `POST path` with a JSON body as `token`; the status and the JSON answer.
async fn post(c: &mut Client, path: String, token: String, body: Value) -> (u16, Value) {
    let r = c.json("POST", &path, Some(&token), &body).await;
    (r.status, r.json())
}

fn today() -> String {
    hashwall::lists::Timestamp::now().to_string()[..10].to_string()
}

#[tokio::test]
async fn login_lock_out_sessions_and_csrf() {
    let server = Server::start(|_, o| o.secure_cookies = true).await;
    let mut c = server.client();
    let r = c.get("/queue").await;
    assert_eq!((r.status, r.header("location")), (303, Some("/login")));

    // The login form's own token: without its cookie the form is refused.
    let page = c.get("/login").await;
    assert_security_headers(&page);
    assert_eq!(
        page.header("strict-transport-security"),
        Some("max-age=31536000")
    );
    assert!(page.body.contains("<label for=\"password\">"));
    let token = hidden(&page.body, "csrf");
    let mut stranger = server.client();
    let r = stranger
        .post_form(
            "/login",
            &[("name", "ann"), ("password", PASSWORD), ("csrf", &token)],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(
        !r.all("set-cookie")
            .iter()
            .any(|v| v.starts_with("hw_session="))
    );

    // A wrong password: 403 and no session.
    let r = c.login("ann", "wrong password!!").await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("wrong name or password"), "{}", r.body);
    assert!(!c.cookies.contains_key("hw_session"));

    // Five failures lock bob out: then even his right password is refused.
    for _ in 0..5 {
        assert_eq!(c.login("bob", "not his password").await.status, 403);
    }
    let r = c.login("bob", PASSWORD).await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("locked"), "{}", r.body);

    // Ann logs in: a random session cookie with every flag.
    let r = c.login("ann", PASSWORD).await;
    assert_eq!((r.status, r.header("location")), (303, Some("/queue")));
    let cookie = r
        .all("set-cookie")
        .into_iter()
        .find(|v| v.starts_with("hw_session="))
        .expect("session cookie")
        .to_string();
    for flag in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/",
        "Secure",
        "Max-Age=",
    ] {
        assert!(cookie.contains(flag), "{cookie} lacks {flag}");
    }
    assert_eq!(
        c.cookies["hw_session"].len(),
        43,
        "32 random bytes, base64url"
    );
    let queue = c.get("/queue").await;
    assert_eq!(queue.status, 200);
    assert!(queue.body.contains("ann (analyst)"));

    // CSRF: a staff POST without or with a wrong token is refused, nothing changes.
    let mut public = server.client();
    let reference = report(&mut public, "http://csrf.example/1", "csam").await;
    let (_, token) = csrf(&mut c, &format!("/reports/{reference}")).await;
    let path = format!("/reports/{reference}/assess");
    let decision = [
        ("outcome", "not_illegal"),
        ("category", "csam"),
        ("kind", "url"),
        ("value", "csrf.example/1"),
    ];
    let r = c.post_form(&path, &decision).await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("security token"), "{}", r.body);
    let mut wrong = decision.to_vec();
    wrong.push(("csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    assert_eq!(c.post_form(&path, &wrong).await.status, 403);
    let stored = server
        .desk
        .report(&reference.parse().expect("ref"))
        .await
        .expect("report");
    assert_eq!(
        stored.status.as_str(),
        "assessing",
        "the refused forms changed nothing"
    );
    // A session's token does not work for another session.
    let mut sue = staff(&server, "sue").await;
    let mut with_anns = decision.to_vec();
    with_anns.push(("csrf", &token));
    assert_eq!(sue.post_form(&path, &with_anns).await.status, 403);

    // Logout needs the token too, and ends the session.
    assert_eq!(c.post_form("/logout", &[]).await.status, 403);
    let r = c.post_form("/logout", &[("csrf", &token)]).await;
    assert_eq!((r.status, r.header("location")), (303, Some("/login")));
    assert_eq!(c.get("/queue").await.status, 303);
    server.stop().await;
}

#[tokio::test]
async fn four_eyes_over_the_html_forms_publishes_the_entry() {
    let server = Server::start(|_, _| {}).await;
    let mut public = server.client();
    let r = public
        .post_form(
            "/",
            &[
                ("urls", "http://bad.example/abuse/1.html"),
                ("category", "csam"),
            ],
        )
        .await;
    let reference = web_common::reference_in(&r.body);
    let mut ann = staff(&server, "ann").await;
    let mut bob = staff(&server, "bob").await;
    let mut sue = staff(&server, "sue").await;

    let queue = ann.get("/queue").await;
    assert!(queue.body.contains(&reference));
    // Opening shows the URL as text only and prefills the narrowest entry.
    let (page, token) = csrf(&mut ann, &format!("/reports/{reference}")).await;
    assert_security_headers(&page);
    assert!(page.body.contains("http://bad.example/abuse/1.html"));
    assert!(
        !page.body.contains("href=\"http://bad.example"),
        "reported URLs are never links"
    );
    for tag in ["<img", "<iframe", "<object", "<embed", "<script"] {
        assert!(!page.body.contains(tag), "{tag} on the report page");
    }
    assert_eq!(hidden(&page.body, "value"), "bad.example/abuse/1.html");
    assert!(
        page.body.contains("value=\"url\" checked"),
        "url is the default kind"
    );
    // Bob sees Ann holds it.
    let held = bob.get(&format!("/reports/{reference}")).await;
    assert_eq!(held.status, 200);
    assert!(held.body.contains("being assessed by ann"), "{}", held.body);
    assert!(
        !held.body.contains("id=\"assess\""),
        "no assessment form for bob"
    );

    // Country correction.
    let r = ann
        .post_form(
            &format!("/reports/{reference}/country"),
            &[("csrf", &token), ("url_index", "0"), ("country", "nl")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // Ann assesses illegal; her own confirmation is refused with a page.
    let r = ann
        .post_form(
            &format!("/reports/{reference}/assess"),
            &[
                ("csrf", &token),
                ("outcome", "illegal"),
                ("category", "csam"),
                ("kind", "url"),
                ("value", "bad.example/abuse/1.html"),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.header("location")),
        (303, Some(format!("/reports/{reference}").as_str()))
    );
    let r = ann
        .post_form(
            &format!("/reports/{reference}/confirm"),
            &[("csrf", &token), ("agree", "yes")],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("role=\"alert\""));
    let manifest = server.publication("desk-csam").join("manifest");
    assert!(
        std::fs::read_to_string(&manifest)
            .expect("manifest")
            .contains("sequence: 0")
    );

    // Bob confirms: listed, signed and published with the reference.
    let (page, bob_token) = csrf(&mut bob, &format!("/reports/{reference}")).await;
    assert!(page.body.contains("id=\"confirm\""));
    let r = bob
        .post_form(
            &format!("/reports/{reference}/confirm"),
            &[("csrf", &bob_token), ("agree", "yes")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(
        std::fs::read_to_string(&manifest)
            .expect("manifest")
            .contains("sequence: 1")
    );
    let list = hashwall_lists::List::read_file(&server.publication("desk-csam").join("list-1.hwl"))
        .expect("published list");
    let entry = list
        .entries
        .iter()
        .find(|e| e.value == "bad.example/abuse/1.html")
        .expect("the entry is published");
    assert_eq!(entry.reference.as_deref(), Some(reference.as_str()));
    let stored = server
        .desk
        .report(&reference.parse().expect("ref"))
        .await
        .expect("report");
    assert_eq!(
        (stored.status.as_str(), stored.outcome.map(|o| o.as_str())),
        ("closed", Some("illegal"))
    );
    assert_eq!(stored.urls[0].country.as_deref(), Some("NL"));

    // Takedown: notified, then removed.
    for event in ["notified", "removed"] {
        let r = bob
            .post_form(
                &format!("/reports/{reference}/takedown"),
                &[("csrf", &bob_token), ("event", event)],
            )
            .await;
        assert_eq!(r.status, 303, "{event}: {}", r.body);
    }
    let stored = server
        .desk
        .report(&reference.parse().expect("ref"))
        .await
        .expect("report");
    assert!(stored.notified_at.is_some() && stored.removed_at.is_some());
    let page = bob.get(&format!("/reports/{reference}")).await;
    for action in ["assess", "confirm", "takedown", "country"] {
        assert!(
            page.body.contains(&format!("<td>{action}</td>")),
            "audit trail lacks {action}"
        );
    }

    // A disagreement goes to the supervisor; an analyst cannot resolve.
    let r = public
        .post_form(
            "/",
            &[("urls", "http://grey.example/2"), ("category", "terrorism")],
        )
        .await;
    let second = web_common::reference_in(&r.body);
    let (_, token) = csrf(&mut ann, &format!("/reports/{second}")).await;
    let r = ann
        .post_form(
            &format!("/reports/{second}/assess"),
            &[
                ("csrf", &token),
                ("outcome", "illegal"),
                ("category", "terrorism"),
                ("kind", "domain"),
                ("value", "grey.example"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = bob
        .post_form(
            &format!("/reports/{second}/confirm"),
            &[("csrf", &bob_token), ("agree", "no")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let resolve = [("csrf", bob_token.as_str()), ("outcome", "not_illegal")];
    let r = bob
        .post_form(&format!("/reports/{second}/resolve"), &resolve)
        .await;
    assert_eq!(r.status, 403, "an analyst cannot resolve");
    let (page, sue_token) = csrf(&mut sue, &format!("/reports/{second}")).await;
    assert!(page.body.contains("id=\"resolve\""));
    let r = sue
        .post_form(
            &format!("/reports/{second}/resolve"),
            &[("csrf", &sue_token), ("outcome", "not_illegal")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let stored = server
        .desk
        .report(&second.parse().expect("ref"))
        .await
        .expect("report");
    assert_eq!(stored.outcome.map(|o| o.as_str()), Some("not_illegal"));
    assert!(
        std::fs::read_to_string(server.publication("desk-terrorism").join("manifest"))
            .expect("manifest")
            .contains("sequence: 0"),
        "nothing listed for the resolved dispute"
    );
    server.stop().await;
}

#[tokio::test]
async fn four_eyes_over_the_json_api_and_statistics_that_count_it() {
    let server = Server::start(|_, _| {}).await;
    let [ann, bob, sue] = server.tokens.clone();
    let mut c = server.client();
    let r1 = report(&mut c, "http://api.example/one.jpg", "csam").await;
    let r2 = report(&mut c, "http://api.example/two", "terrorism").await;
    let r3 = report(&mut c, "http://fine.example/", "other").await;

    // The queue: 401 without a token, 403 with a bad one, oldest first with one.
    assert_eq!(c.get("/api/v1/queue").await.status, 401);
    let r = c
        .send(
            "GET",
            "/api/v1/queue",
            &[("Authorization", "Bearer nope")],
            b"",
        )
        .await;
    assert_eq!(r.status, 403);
    let r = c
        .send(
            "GET",
            "/api/v1/queue",
            &[("Authorization", &format!("Bearer {ann}"))],
            b"",
        )
        .await;
    let items = r.json().as_array().expect("queue").clone();
    let mut refs: Vec<String> = items
        .iter()
        .map(|i| i["reference"].as_str().unwrap_or("").to_string())
        .collect();
    let times: Vec<String> = items.iter().map(|i| i["received_at"].to_string()).collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "oldest first: {times:?}"
    );
    refs.sort();
    let mut expected = [r1.clone(), r2.clone(), r3.clone()];
    expected.sort();
    assert_eq!(refs, expected);

    // r1: assessing without opening is refused; Ann opens, assesses, cannot confirm; Bob confirms.
    let illegal = json!({"outcome": "illegal", "category": "csam", "kind": "url", "value": "api.example/one.jpg"});
    let (s, j) = post(
        &mut c,
        format!("/api/v1/reports/{r1}/assess"),
        ann.clone(),
        illegal.clone(),
    )
    .await;
    assert_eq!((s, j["error"]["kind"].as_str()), (403, Some("forbidden")));
    let (s, j) = post(
        &mut c,
        format!("/api/v1/reports/{r1}/open"),
        ann.clone(),
        json!({}),
    )
    .await;
    assert_eq!(
        (s, j["status"].as_str(), j["locked_by"].as_str()),
        (200, Some("assessing"), Some("ann"))
    );
    let (s, j) = post(
        &mut c,
        format!("/api/v1/reports/{r1}/assess"),
        ann.clone(),
        json!({"outcome": "illegal"}),
    )
    .await;
    assert_eq!(s, 422, "{j}");
    let (s, j) = post(
        &mut c,
        format!("/api/v1/reports/{r1}/assess"),
        ann.clone(),
        illegal,
    )
    .await;
    assert_eq!(
        (s, j["status"].as_str()),
        (200, Some("awaiting_confirmation")),
        "{j}"
    );
    let (s, j) = post(
        &mut c,
        format!("/api/v1/reports/{r1}/confirm"),
        ann.clone(),
        json!({"agree": true}),
    )
    .await;
    assert_eq!(
        (s, j["error"]["kind"].as_str()),
        (403, Some("forbidden")),
        "{j}"
    );
    let (s, j) = post(
        &mut c,
        format!("/api/v1/reports/{r1}/confirm"),
        bob.clone(),
        json!({"agree": true}),
    )
    .await;
    assert_eq!(
        (s, j["status"].as_str(), j["outcome"].as_str()),
        (200, Some("closed"), Some("illegal")),
        "{j}"
    );
    let (s, _) = post(
        &mut c,
        format!("/api/v1/reports/{r1}/confirm"),
        bob.clone(),
        json!({"agree": true}),
    )
    .await;
    assert_eq!(s, 409, "nothing waits for confirmation any more");
    let published = std::fs::read_to_string(server.publication("desk-csam").join("list-1.hwl"))
        .expect("published list");
    assert!(
        published.contains("api.example/one.jpg") && published.contains(&r1),
        "{published}"
    );
    // A new report of the listed URL says so at intake.
    let r = c
        .json(
            "POST",
            "/api/v1/reports",
            None,
            &json!({"urls": ["http://api.example/one.jpg"], "category": "csam"}),
        )
        .await;
    let listed = r.json()["already_listed"].clone();
    assert_eq!(
        listed[0]["reference"].as_str(),
        Some(r1.as_str()),
        "{listed}"
    );

    // Takedown on r1; a bad event is 422.
    let (s, _) = post(
        &mut c,
        format!("/api/v1/reports/{r1}/takedown"),
        bob.clone(),
        json!({"event": "gone"}),
    )
    .await;
    assert_eq!(s, 422);
    for event in ["notified", "still_online", "removed"] {
        let (s, j) = post(
            &mut c,
            format!("/api/v1/reports/{r1}/takedown"),
            bob.clone(),
            json!({"event": event}),
        )
        .await;
        assert_eq!(s, 200, "{event}: {j}");
    }
    let (s, j) = post(
        &mut c,
        format!("/api/v1/reports/{r1}/country"),
        bob.clone(),
        json!({"url_index": 0, "country": "DE"}),
    )
    .await;
    assert_eq!(
        (s, j["urls"][0]["country"].as_str()),
        (200, Some("DE")),
        "{j}"
    );

    // r2: Ann says illegal, Bob disagrees, Bob cannot resolve, Sue resolves police-only.
    post(
        &mut c,
        format!("/api/v1/reports/{r2}/open"),
        ann.clone(),
        json!({}),
    )
    .await;
    let d = json!({"outcome": "illegal", "category": "terrorism", "kind": "domain", "value": "api.example"});
    let (s, _) = post(
        &mut c,
        format!("/api/v1/reports/{r2}/assess"),
        ann.clone(),
        d,
    )
    .await;
    assert_eq!(s, 200);
    let (s, j) = post(
        &mut c,
        format!("/api/v1/reports/{r2}/confirm"),
        bob.clone(),
        json!({"agree": false}),
    )
    .await;
    assert_eq!((s, j["status"].as_str()), (200, Some("disputed")));
    let (s, _) = post(
        &mut c,
        format!("/api/v1/reports/{r2}/resolve"),
        bob.clone(),
        json!({"outcome": "police_only"}),
    )
    .await;
    assert_eq!(s, 403);
    let (s, j) = post(
        &mut c,
        format!("/api/v1/reports/{r2}/resolve"),
        sue.clone(),
        json!({"outcome": "police_only"}),
    )
    .await;
    assert_eq!(
        (s, j["outcome"].as_str()),
        (200, Some("police_only")),
        "{j}"
    );

    // r3: not illegal closes at once.
    post(
        &mut c,
        format!("/api/v1/reports/{r3}/open"),
        bob.clone(),
        json!({}),
    )
    .await;
    let (s, j) = post(
        &mut c,
        format!("/api/v1/reports/{r3}/assess"),
        bob.clone(),
        json!({"outcome": "not_illegal"}),
    )
    .await;
    assert_eq!((s, j["status"].as_str()), (200, Some("closed")), "{j}");

    // The report with its audit trail.
    let r = c
        .send(
            "GET",
            &format!("/api/v1/reports/{r1}"),
            &[("Authorization", &format!("Bearer {sue}"))],
            b"",
        )
        .await;
    let j = r.json();
    assert_eq!(j["report"]["reference"].as_str(), Some(r1.as_str()));
    let actions: Vec<&str> = j["audit"]
        .as_array()
        .expect("audit")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in ["open", "assess", "confirm", "takedown", "country"] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }

    // Statistics: 4 reports today (the re-report of r1 is open).
    let auth = format!("Bearer {sue}");
    let r = c
        .send(
            "GET",
            "/api/v1/stats?by=day",
            &[("Authorization", &auth)],
            b"",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let s = r.json();
    assert_eq!(s["totals"]["reports"], 4, "{s}");
    assert_eq!(s["totals"]["by_outcome"]["illegal"], 1);
    assert_eq!(s["totals"]["by_outcome"]["police_only"], 1);
    assert_eq!(s["totals"]["by_outcome"]["not_illegal"], 1);
    assert_eq!(s["totals"]["by_outcome"]["open"], 1);
    assert_eq!(s["totals"]["by_category"]["csam"], 2);
    assert_eq!(s["totals"]["by_source"]["public"], 4);
    assert_eq!(s["durations"]["to_listing"]["count"], 1);
    assert_eq!(s["durations"]["to_decision"]["count"], 3);
    assert_eq!(s["durations"]["notice_to_removal"]["count"], 1);
    assert_eq!(s["buckets"].as_array().map(Vec::len), Some(1));
    assert_eq!(s["buckets"][0]["label"].as_str(), Some(today().as_str()));
    assert_eq!(s["buckets"][0]["reports"], 4);
    let r = c
        .send(
            "GET",
            "/api/v1/stats?by=month&format=csv",
            &[("Authorization", &auth)],
            b"",
        )
        .await;
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    let mut lines = r.body.lines();
    assert!(
        lines
            .next()
            .is_some_and(|h| h.starts_with("period,reports,")),
        "{}",
        r.body
    );
    assert!(
        lines
            .next()
            .is_some_and(|row| row.starts_with(&format!("{},4,", &today()[..7]))),
        "{}",
        r.body
    );
    let r = c
        .send(
            "GET",
            "/api/v1/stats",
            &[("Authorization", &auth), ("Accept", "text/csv")],
            b"",
        )
        .await;
    assert!(r.body.starts_with("period,reports"), "{}", r.body);
    let r = c
        .send(
            "GET",
            "/api/v1/stats?by=year",
            &[("Authorization", &auth)],
            b"",
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"]["kind"].as_str()),
        (422, Some("invalid"))
    );
    assert_eq!(c.get("/api/v1/stats").await.status, 401);

    // The staff page draws it, and its download links work with the session.
    let mut page_client = staff(&server, "sue").await;
    let page = page_client.get("/stats?by=week").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<svg"), "server-rendered chart");
    assert!(
        page.body.contains("id=\"total-reports\">4<"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Reports per period by outcome"));
    assert!(page.body.contains(">DE<"), "countries chart");
    let csv = page_client.get("/api/v1/stats?by=week&format=csv").await;
    assert_eq!(csv.status, 200);

    // Prometheus counters.
    let m = c.get("/metrics").await.body;
    assert!(
        m.contains("hashwall_desk_reports_received_total{category=\"csam\",source=\"public\"} 2"),
        "{m}"
    );
    assert!(
        m.contains("hashwall_desk_decisions_total{outcome=\"illegal\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("hashwall_desk_decisions_total{outcome=\"police_only\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("route=\"/api/v1/reports/{reference}/confirm\",status=\"403\"} 1"),
        "{m}"
    );
    assert!(!m.contains(&r1), "no references in the metrics");
    server.stop().await;
}

#[tokio::test]
async fn public_statistics_are_off_unless_switched_on_and_aggregate_only() {
    let off = Server::start(|_, _| {}).await;
    assert_eq!(off.client().get("/public-stats").await.status, 404);
    off.stop().await;

    let on = Server::start(|_, o| o.public_stats = true).await;
    let mut c = on.client();
    let reference = report(&mut c, "http://stats.example/secret-path", "csam").await;
    let r = c
        .send("GET", "/public-stats", &[("Accept-Language", "nl")], b"")
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Meldingen in cijfers"));
    assert!(r.body.contains("<svg"));
    assert!(r.body.contains("id=\"total-reports\">1<"));
    assert!(!r.body.contains(&reference), "no references");
    assert!(!r.body.contains("stats.example"), "no URLs");
    on.stop().await;
}

#[tokio::test]
async fn feedback_address_is_read_once_decided_then_deleted() {
    let server = Server::start(|_, _| {}).await;
    let mut c = server.client();
    let body = json!({"urls": ["http://fb.example/1"], "category": "other", "email": "reporter@example.org"});
    let r = c.json("POST", "/api/v1/reports", None, &body).await;
    let reference = r.json()["reference"].as_str().expect("ref").to_string();
    let ann = server.tokens[0].clone();
    // Not before the decision.
    let path = format!("/api/v1/reports/{reference}/feedback-address");
    let (s, j) = post(&mut c, path.clone(), ann.clone(), json!({})).await;
    assert_eq!(
        (s, j["error"]["kind"].as_str()),
        (409, Some("conflict")),
        "{j}"
    );
    // Ann decides over the forms, then reads the address and marks it sent.
    let mut web = staff(&server, "ann").await;
    let (_, token) = csrf(&mut web, &format!("/reports/{reference}")).await;
    let r = web
        .post_form(
            &format!("/reports/{reference}/assess"),
            &[("csrf", &token), ("outcome", "not_illegal")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = web.get(&format!("/reports/{reference}")).await;
    assert!(page.body.contains("id=\"feedback-show\""));
    assert!(
        !page.body.contains("reporter@example.org"),
        "not shown unasked"
    );
    let feedback = format!("/reports/{reference}/feedback");
    let r = web
        .post_form(&feedback, &[("csrf", &token), ("action", "show")])
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("reporter@example.org"));
    assert_eq!(
        web.post_form(&feedback, &[("action", "sent")]).await.status,
        403,
        "CSRF"
    );
    let r = web
        .post_form(&feedback, &[("csrf", &token), ("action", "sent")])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let stored = server
        .desk
        .report(&reference.parse().expect("ref"))
        .await
        .expect("report");
    assert!(!stored.has_email, "the address is deleted");
    let (s, _) = post(&mut c, path, ann.clone(), json!({})).await;
    assert_eq!(s, 404);
    let (s, _) = post(
        &mut c,
        format!("/api/v1/reports/{reference}/feedback-sent"),
        ann,
        json!({}),
    )
    .await;
    assert_eq!(s, 404);
    let audit = server
        .desk
        .audit(Some(&reference.parse().expect("ref")), 50)
        .await
        .expect("audit");
    assert!(audit.iter().any(|e| e.action == "feedback-address"));
    assert!(audit.iter().any(|e| e.action == "feedback-sent"));
    server.stop().await;
}
