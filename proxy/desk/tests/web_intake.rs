//! Public intake over HTTP against a running desk: the form in Dutch and
//! English, the public state page, the JSON intake with duplicates, the
//! rate limit, the body cap and the error shapes.

mod web_common;

use serde_json::json;
use web_common::{Server, assert_security_headers, raw, reference_in};

#[tokio::test]
async fn the_form_reports_in_dutch_and_english_and_the_state_page_says_only_the_state() {
    let server = Server::start(|_, _| {}).await;
    let mut c = server.client();

    // Accept-Language picks Dutch; the page is labelled and usable without script.
    let nl = c
        .send(
            "GET",
            "/",
            &[("Accept-Language", "nl-NL,nl;q=0.9,en;q=0.5")],
            b"",
        )
        .await;
    assert_eq!(nl.status, 200);
    assert_security_headers(&nl);
    assert!(nl.body.contains("<html lang=\"nl\">"), "{}", nl.body);
    assert!(nl.body.contains("Meld illegale inhoud online"));
    assert!(nl.body.contains("<label for=\"urls\">"));
    assert!(nl.body.contains("<label for=\"category\">"));
    assert!(!nl.body.contains("<script"), "no JavaScript at all");

    // ?lang=en switches and is remembered in a cookie.
    let en = c
        .send("GET", "/?lang=en", &[("Accept-Language", "nl")], b"")
        .await;
    assert!(en.body.contains("Report illegal content online"));
    assert!(
        en.all("set-cookie")
            .iter()
            .any(|v| v.starts_with("hw_lang=en;"))
    );
    let again = c.send("GET", "/", &[("Accept-Language", "nl")], b"").await;
    assert!(
        again.body.contains("<html lang=\"en\">"),
        "the cookie wins over the header"
    );
    c.cookies.clear();

    // A Dutch report: two URLs, one per line.
    let answer = c
        .post_form(
            "/",
            &[
                ("lang", "nl"),
                (
                    "urls",
                    "http://bad.example/a/1.html\r\n\r\n https://bad.example/a/2.html ",
                ),
                ("category", "csam"),
                ("description", "op een forum <b>gezien</b>"),
                ("email", ""),
            ],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains("Dank u, uw melding is ontvangen"));
    let reference = reference_in(&answer.body);
    assert!(
        reference.starts_with("R-") && reference.len() > 12,
        "{reference}"
    );
    let stored = server
        .desk
        .report(&reference.parse().expect("reference"))
        .await
        .expect("stored");
    assert_eq!(stored.urls.len(), 2);
    assert_eq!(stored.category.as_str(), "csam");
    assert_eq!(stored.description, "op een forum <b>gezien</b>");
    assert!(!stored.has_email);

    // An English report.
    let answer = c
        .post_form(
            "/",
            &[
                ("lang", "en"),
                ("urls", "http://other.example/x"),
                ("category", "terrorism"),
                ("email", "me@example.org"),
            ],
        )
        .await;
    assert_eq!(answer.status, 200);
    assert!(answer.body.contains("Thank you, your report was received"));
    let second = reference_in(&answer.body);
    assert_ne!(second, reference);

    // The state page: the state, nothing else (no URL, no description).
    let state = c
        .send(
            "GET",
            &format!("/report/{reference}"),
            &[("Accept-Language", "nl")],
            b"",
        )
        .await;
    assert_eq!(state.status, 200);
    assert!(state.body.contains("data-state=\"received\""));
    assert!(state.body.contains("Ontvangen"));
    assert!(!state.body.contains("bad.example"));
    assert!(!state.body.contains("forum"));
    let state = c.get(&format!("/report/{second}?lang=en")).await;
    assert!(state.body.contains(">Received<"));
    let missing = c.get("/report/R-AAAAAAAAAAAAAAAAAAAA").await;
    assert_eq!(missing.status, 404);
    let garbage = c.get("/report/%3Cscript%3E").await;
    assert_eq!(garbage.status, 404);
    assert!(!garbage.body.contains("<script>"));

    // A URL the engine refuses: 422, the form comes back filled in, nothing stored.
    let before = server.desk.queue().await.expect("queue").len();
    let refused = c
        .post_form(
            "/",
            &[
                ("lang", "en"),
                ("urls", "http://"),
                ("category", "csam"),
                ("description", "kept"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("role=\"alert\""));
    assert!(refused.body.contains(">kept</textarea>"));
    let refused = c
        .post_form(
            "/",
            &[("urls", "http://x.example/"), ("category", "weather")],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert_eq!(server.desk.queue().await.expect("queue").len(), before);
    server.stop().await;
}

#[tokio::test]
async fn the_json_intake_links_duplicates_and_answers_errors_as_json() {
    let server = Server::start(|_, _| {}).await;
    let mut c = server.client();
    let body = json!({"urls": ["http://dup.example/p?id=1"], "category": "terrorism", "description": "d", "source": "public"});
    let first = c.json("POST", "/api/v1/reports", None, &body).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_security_headers(&first);
    let j = first.json();
    let reference = j["reference"].as_str().expect("reference").to_string();
    assert_eq!(j["status"], "received");
    assert_eq!(j["duplicates"], json!([]));
    assert_eq!(j["already_listed"], json!([]));

    // The same URL again (differently written): linked, counted, not queued twice.
    let body = json!({"urls": ["HTTP://DUP.example/p?id=1"], "category": "terrorism"});
    let second = c.json("POST", "/api/v1/reports", None, &body).await;
    assert_eq!(second.status, 201, "{}", second.body);
    let dups = second.json()["duplicates"].clone();
    assert_eq!(dups.as_array().map(Vec::len), Some(1), "{dups}");
    assert_eq!(dups[0]["reference"], reference.as_str());

    let error = |r: &web_common::Response, status: u16, kind: &str| {
        assert_eq!(r.status, status, "{}", r.body);
        assert_eq!(r.header("content-type"), Some("application/json"));
        let j = r.json();
        assert_eq!(j["error"]["kind"], kind, "{j}");
        assert!(
            j["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{j}"
        );
    };
    // 415: not JSON.
    let r = c
        .send(
            "POST",
            "/api/v1/reports",
            &[("Content-Type", "text/plain")],
            b"{}",
        )
        .await;
    error(&r, 415, "unsupported_media_type");
    // 400: broken JSON.
    let r = c
        .send(
            "POST",
            "/api/v1/reports",
            &[("Content-Type", "application/json")],
            b"{\"urls\": [",
        )
        .await;
    error(&r, 400, "malformed");
    // 422: wrong values or fields.
    let r = c
        .json(
            "POST",
            "/api/v1/reports",
            None,
            &json!({"urls": ["http://a.example/"], "category": "weather"}),
        )
        .await;
    error(&r, 422, "invalid");
    let r = c
        .json(
            "POST",
            "/api/v1/reports",
            None,
            &json!({"urls": [], "category": "csam"}),
        )
        .await;
    error(&r, 422, "invalid");
    let r = c
        .json(
            "POST",
            "/api/v1/reports",
            None,
            &json!({"urls": ["http://a.example/"], "category": "csam", "ip": "x"}),
        )
        .await;
    error(&r, 422, "invalid");
    // 401 / 403: a partner report needs a valid token.
    let partner =
        json!({"urls": ["http://partner.example/1"], "category": "csam", "source": "partner"});
    let r = c.json("POST", "/api/v1/reports", None, &partner).await;
    error(&r, 401, "unauthorized");
    let r = c
        .json("POST", "/api/v1/reports", Some("not-a-token"), &partner)
        .await;
    error(&r, 403, "forbidden");
    let r = c
        .json("POST", "/api/v1/reports", Some(&server.tokens[0]), &partner)
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // 404: unknown endpoint and unknown report.
    let r = c.get("/api/v1/nothing").await;
    error(&r, 404, "not_found");
    let r = c
        .send(
            "GET",
            "/api/v1/reports/R-AAAAAAAAAAAAAAAAAAAA",
            &[("Authorization", &format!("Bearer {}", server.tokens[0]))],
            b"",
        )
        .await;
    error(&r, 404, "not_found");
    assert_eq!(
        server.desk.queue().await.expect("queue").len(),
        2,
        "the duplicate was linked, not queued"
    );
    server.stop().await;
}

#[tokio::test]
async fn flooding_the_intake_is_rate_limited_per_client() {
    let server = Server::start(|_, o| o.intake_per_minute = 3).await;
    let mut c = server.client();
    for i in 0..3 {
        let url = format!("http://flood.example/{i}");
        let r = c
            .post_form("/", &[("urls", &url), ("category", "other")])
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = c
        .send(
            "POST",
            "/",
            &[
                ("Accept-Language", "nl"),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            b"urls=http%3A%2F%2Fflood.example%2F9&category=other",
        )
        .await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("60"));
    assert!(r.body.contains("Te veel meldingen"), "{}", r.body);
    assert_security_headers(&r);
    // The JSON intake shares the client's window.
    let r = c
        .json(
            "POST",
            "/api/v1/reports",
            None,
            &json!({"urls": ["http://flood.example/j"], "category": "csam"}),
        )
        .await;
    assert_eq!(r.status, 429);
    assert_eq!(r.json()["error"]["kind"], "rate_limited");
    assert_eq!(
        server.desk.queue().await.expect("queue").len(),
        3,
        "nothing stored past the limit"
    );
    server.stop().await;
}

#[tokio::test]
async fn oversized_submissions_are_refused_with_413_and_nothing_is_stored() {
    let server = Server::start(|_, o| o.max_body = 1024).await;
    let mut c = server.client();
    let big = format!(
        "urls=http%3A%2F%2Fbig.example%2F&category=csam&description={}",
        "x".repeat(2000)
    );
    let r = c
        .send(
            "POST",
            "/",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Accept-Language", "en"),
            ],
            big.as_bytes(),
        )
        .await;
    assert_eq!(r.status, 413);
    assert!(r.body.contains("too large"), "{}", r.body);
    assert_security_headers(&r);
    let big_json = json!({"urls": ["http://big.example/"], "category": "csam", "description": "y".repeat(2000)});
    let r = c.json("POST", "/api/v1/reports", None, &big_json).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["error"]["kind"], "too_large");
    // Without a Content-Length (chunked), the cap holds while reading.
    let chunk = "z".repeat(1500);
    let chunked = format!("{:x}\r\n{chunk}\r\n0\r\n\r\n", chunk.len());
    let head = format!(
        "POST /api/v1/reports HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        server.addr
    );
    let r = raw(server.addr, &head, chunked.as_bytes()).await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(r.json()["error"]["kind"], "too_large");
    assert!(server.desk.queue().await.expect("queue").is_empty());
    server.stop().await;
}

#[tokio::test]
async fn the_reporters_address_is_never_stored() {
    let server = Server::start(|_, _| {}).await;
    let mut c = server.client();
    for i in 0..3 {
        let url = format!("http://privacy.example/{i}");
        let r = c
            .post_form(
                "/",
                &[
                    ("urls", &url),
                    ("category", "csam"),
                    ("email", "r@example.org"),
                ],
            )
            .await;
        assert_eq!(r.status, 200);
    }
    let db = std::fs::read(server.config.data_dir.join("desk.db")).expect("database file");
    let wal = std::fs::read(server.config.data_dir.join("desk.db-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(
            !bytes.windows(9).any(|w| w == b"127.0.0.1"),
            "the client address is in the database"
        );
    }
    assert!(
        db.windows(14).any(|w| w == b"privacy.exampl")
            || wal.windows(14).any(|w| w == b"privacy.exampl"),
        "the check reads the right file"
    );
    server.stop().await;
}
