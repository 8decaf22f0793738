//! The matching API's access control, limits and configuration, end to
//! end: bearer tokens from a file (revoked by editing it), per-token rate
//! limits, body and batch caps, decompression bombs, exposure checks and
//! the API-only configuration.
#![allow(clippy::unwrap_used)]

mod api_support;
mod image_support;
mod serve_support;

use api_support::*;
use hashwall_proxy::serve::config::Config;
use image::{ImageFormat, RgbImage};
use image_support::encode;
use serde_json::json;
use serve_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_required_accepted_and_revoked_by_editing_the_file() {
    let dir = TempDir::new("api-tokens");
    let img = images();
    let tokens = dir.write(
        "api-tokens",
        "# clients\nalice tok-alice-1\nbob tok-bob-2\n",
    );
    let (proxy, api) = start(
        &dir,
        &img,
        &format!("token_file = {:?}", tokens.display().to_string()),
    )
    .await;
    let a = get(api, "/v1/lists").await;
    assert_eq!(a.status, 401, "{}", a.json);
    assert_eq!(a.json["error"]["kind"], "unauthorized");
    assert!(a.headers.contains_key("www-authenticate"));
    let a = call(api, "GET", "/v1/lists", Some("tok-wrong"), None, vec![]).await;
    assert_eq!(a.status, 401);
    for t in ["tok-alice-1", "tok-bob-2"] {
        let a = call(api, "GET", "/v1/lists", Some(t), None, vec![]).await;
        assert_eq!(a.status, 200, "{t}: {}", a.json);
    }
    // The document is public.
    assert_eq!(get(api, "/openapi.json").await.status, 200);

    // Alice's line removed: her token stops working, without a restart.
    dir.write("api-tokens", "# clients\nbob tok-bob-2\n");
    let a = call(api, "GET", "/v1/lists", Some("tok-alice-1"), None, vec![]).await;
    assert_eq!(a.status, 401, "{}", a.json);
    let a = call(api, "GET", "/v1/lists", Some("tok-bob-2"), None, vec![]).await;
    assert_eq!(a.status, 200);
    // The file gone: every token refused.
    std::fs::remove_file(&tokens).unwrap();
    let a = call(api, "GET", "/v1/lists", Some("tok-bob-2"), None, vec![]).await;
    assert_eq!(a.status, 401);

    // Counted by endpoint, client (the token's name) and status.
    let (_, m) = admin_request(proxy.admin.unwrap(), "GET", "/metrics", Some("adm")).await;
    for (line, n) in [
        (
            "method=\"get\",path=\"/v1/lists\",client=\"alice\",status=\"200\"",
            1,
        ),
        (
            "method=\"get\",path=\"/v1/lists\",client=\"bob\",status=\"200\"",
            2,
        ),
        (
            "method=\"get\",path=\"/v1/lists\",client=\"-\",status=\"401\"",
            4,
        ),
        (
            "method=\"get\",path=\"/openapi.json\",client=\"-\",status=\"200\"",
            1,
        ),
    ] {
        let needle = format!("hashwall_api_requests_total{{{line}}} {n}\n");
        assert!(m.contains(&needle), "{needle} not in\n{m}");
    }
    assert!(
        m.contains(
            "hashwall_api_request_duration_seconds_count{method=\"get\",path=\"/v1/lists\"} 7\n"
        ),
        "{m}"
    );
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_token_rate_limit_answers_429() {
    let dir = TempDir::new("api-rate");
    let img = images();
    let tokens = dir.write("api-tokens", "alice ta\nbob tb\n");
    let (proxy, api) = start(
        &dir,
        &img,
        &format!(
            "token_file = {:?}\nrate_per_sec = 1",
            tokens.display().to_string()
        ),
    )
    .await;
    // A bucket of one request, refilled at one a second: of five quick
    // requests, some are refused.
    let mut statuses = vec![];
    let mut retry = None;
    for _ in 0..5 {
        let a = call(api, "GET", "/v1/lists", Some("ta"), None, vec![]).await;
        if a.status == 429 {
            assert_eq!(a.json["error"]["kind"], "rate_limited");
            retry = a.headers.get("retry-after").cloned();
        }
        statuses.push(a.status);
    }
    assert_eq!(statuses[0], 200);
    assert!(statuses.contains(&429), "{statuses:?}");
    assert_eq!(retry.unwrap(), "1");
    // Another token has its own bucket.
    let a = call(api, "GET", "/v1/lists", Some("tb"), None, vec![]).await;
    assert_eq!(a.status, 200);
    proxy.stop().await;
}

/// A PNG whose header declares `w`×`h` pixels (the data is a 1×1 image's):
/// a decompression bomb as far as the header goes.
fn bomb_png(w: u32, h: u32) -> Vec<u8> {
    let mut png = encode(&RgbImage::new(1, 1), ImageFormat::Png).to_vec();
    png[16..20].copy_from_slice(&w.to_be_bytes());
    png[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 == 1 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_are_json_errors() {
    let dir = TempDir::new("api-limits");
    let img = images();
    let (proxy, api) = start(&dir, &img, "max_body_bytes = 4096\nmax_batch = 3").await;

    // Bad JSON, a wrong content type.
    let a = call(
        api,
        "POST",
        "/v1/check",
        None,
        Some("application/json"),
        b"{\"urls\": [".to_vec(),
    )
    .await;
    assert_eq!(a.status, 400);
    assert_eq!(a.json["error"]["kind"], "bad_json");
    let a = call(
        api,
        "POST",
        "/v1/check",
        None,
        Some("application/json"),
        b"{\"url\": []}".to_vec(),
    )
    .await;
    assert_eq!(a.status, 400, "unknown fields are refused: {}", a.json);
    let a = call(
        api,
        "POST",
        "/v1/check",
        None,
        Some("text/plain"),
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(a.status, 415);

    // Over max_batch.
    let a = post_json(
        api,
        "/v1/check",
        &json!({"urls": ["a.example", "b.example"], "hashes": [
            {"kind": "md5", "value": "0".repeat(32)}, {"kind": "md5", "value": "1".repeat(32)}]}),
    )
    .await;
    assert_eq!(a.status, 413);
    assert_eq!(a.json["error"]["kind"], "batch_too_large");

    // Over max_body_bytes: with a Content-Length (answered before the body
    // is sent) and chunked (answered once the cap is passed).
    let (status, _, body) = raw(
        api,
        b"POST /v1/check HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n\
          Content-Length: 100000\r\n\r\n{\"urls\": [",
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("body_too_large"), "{body}");
    let mut chunked = b"POST /v1/check/image HTTP/1.1\r\nHost: api\r\n\
        Content-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n"
        .to_vec();
    for _ in 0..5 {
        chunked.extend_from_slice(b"400\r\n");
        chunked.extend_from_slice(&[0u8; 1024]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let (status, _, body) = raw(api, &chunked).await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("body_too_large"), "{body}");

    // A decompression bomb: refused from its header, raw or multipart.
    let bomb = bomb_png(30_000, 30_000);
    let a = call(
        api,
        "POST",
        "/v1/check/image",
        None,
        Some("image/png"),
        bomb.clone(),
    )
    .await;
    assert_eq!(a.status, 413, "{}", a.json);
    assert_eq!(a.json["error"]["kind"], "image_too_large");
    let a = upload(api, "/h/hash", None, &bomb).await;
    assert_eq!(a.status, 413, "{}", a.json);
    let a = upload(api, "/m/lookup", None, &bomb).await;
    assert_eq!(a.status, 413, "{}", a.json);
    let (_, m) = admin_request(proxy.admin.unwrap(), "GET", "/metrics", Some("adm")).await;
    assert!(
        m.contains("hashwall_api_images_total{outcome=\"too_large\"} 3\n"),
        "{m}"
    );
    assert!(
        m.contains("hashwall_api_requests_total{method=\"post\",path=\"/v1/check\",client=\"-\",status=\"413\"} 2\n"),
        "{m}"
    );
    proxy.stop().await;
}

#[test]
fn api_config_defaults_and_exposure() {
    let c = Config::default_config();
    assert!(c.api.enabled);
    assert_eq!(c.api.listen, "127.0.0.1:9129".parse().unwrap());
    assert_eq!(c.api.max_body_bytes, 16 << 20);
    assert_eq!(c.api.max_batch, 1000);
    assert_eq!(c.api.rate_per_sec, 0);
    assert!(c.api.token_file.is_none());
    // Beyond loopback without tokens: refused; with a token file: valid.
    for (api, ok) in [
        ("listen = \"0.0.0.0:9129\"", false),
        ("listen = \"[::]:9129\"", false),
        ("listen = \"192.0.2.1:9129\"", false),
        ("listen = \"0.0.0.0:9129\"\ntoken_file = \"tokens\"", true),
        ("listen = \"[::1]:9129\"", true),
        ("listen = \"0.0.0.0:9129\"\nenabled = false", true),
        ("max_batch = 0", false),
        ("max_body_bytes = 10", false),
    ] {
        let r = Config::from_toml(&format!("[api]\n{api}\n"), None);
        assert_eq!(r.is_ok(), ok, "{api}: {r:?}");
        if let Err(e) = r {
            assert!(e.0.contains("api."), "{e}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_token_file_stops_the_start() {
    let dir = TempDir::new("api-badtokens");
    let img = images();
    let missing = dir.0.join("no-such-tokens");
    let text = config(
        &dir,
        &img,
        &format!("token_file = {:?}", missing.display().to_string()),
    );
    let e = Proxy::try_start_config(Config::from_toml(&text, None).unwrap())
        .await
        .err()
        .expect("refused");
    assert!(e.contains("api token file"), "{e}");
    dir.write("bad-tokens", "alice\n");
    let text = config(&dir, &img, "token_file = \"bad-tokens\"");
    let e = Proxy::try_start_config(Config::from_toml(&text, Some(&dir.0)).unwrap())
        .await
        .err()
        .expect("refused");
    assert!(e.contains("NAME TOKEN"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_only_configuration_serves_without_a_proxy() {
    let dir = TempDir::new("api-only");
    let img = images();
    let text = config(&dir, &img, "").replacen("[proxy]\n", "[proxy]\nenabled = false\n", 1);
    let proxy = Proxy::start(&text).await;
    let running = proxy.running.as_ref().unwrap();
    assert_eq!(running.proxy_addr, None);
    let api = proxy.api.unwrap();
    let a = get(
        api,
        &format!("/m/raw_lookup?signal_type=pdq&signal={}", img.listed_pdq),
    )
    .await;
    assert_eq!(a.json, json!({"matches": ["CASE-PDQ-1"]}));
    // The admin listener still reloads the lists the API serves.
    let (status, _) = admin_request(proxy.admin.unwrap(), "POST", "/reload", Some("adm")).await;
    assert_eq!(status, 200);
    proxy.stop().await;
    // Neither proxy nor API: nothing to serve.
    let e = Config::from_toml("[proxy]\nenabled = false\n[api]\nenabled = false\n", None)
        .expect_err("refused");
    assert!(e.0.contains("nothing to serve"), "{e}");
}

/// A config built in code skips `from_toml`'s validation: `start` refuses
/// an exposed API without tokens all the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_refuses_an_exposed_api_without_tokens() {
    let dir = TempDir::new("api-exposed");
    let img = images();
    let mut config = Config::from_toml(&config(&dir, &img, ""), None).unwrap();
    config.api.listen = "0.0.0.0:0".parse().unwrap();
    let e = Proxy::try_start_exact(config).await.err().expect("refused");
    assert!(e.contains("api.listen") && e.contains("token_file"), "{e}");
}
