//! The matching API (`[api]`) end to end: a real `hashwall serve` on
//! loopback ephemeral ports, called with a real HTTP client; images are
//! generated and encoded by the `image` crate and uploaded raw or as
//! multipart forms.
#![allow(clippy::unwrap_used)]

mod image_support;
mod serve_support;

use std::net::SocketAddr;

use bytes::Bytes;
use hashwall::image::{Algorithm, PdqHash};
use hashwall_proxy::serve::api::routes::ROUTES;
use hashwall_proxy::serve::config::Config;
use http_body_util::Full;
use hyper::{HeaderMap, Request};
use image::{ImageFormat, RgbImage};
use image_support::{encode, hex_of, picture};
use serde_json::{Value, json};
use serve_support::*;

/// A response: status, headers, JSON body.
struct Answer {
    status: u16,
    headers: HeaderMap,
    json: Value,
}

/// One request to the API on a fresh connection.
async fn call(
    api: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Answer {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "api.test");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(c) = content_type {
        req = req.header("content-type", c);
    }
    let req = req.body(Full::new(Bytes::from(body))).unwrap();
    let mut conn = ProxyConn::open(api).await;
    let (status, headers, text) = conn.send(req).await.unwrap();
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{method} {path}: {status} not JSON ({e}): {text}"));
    Answer {
        status,
        headers,
        json,
    }
}

async fn get(api: SocketAddr, path: &str) -> Answer {
    call(api, "GET", path, None, None, vec![]).await
}

async fn post_json(api: SocketAddr, path: &str, body: &Value) -> Answer {
    call(
        api,
        "POST",
        path,
        None,
        Some("application/json"),
        body.to_string().into_bytes(),
    )
    .await
}

/// A `multipart/form-data` body with one file; returns its content type
/// and bytes.
fn multipart(field: &str, file_name: &str, file_type: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "hashwall-test-boundary-7MA4YWxkTrZu0gW";
    let mut out = Vec::new();
    out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
    out.extend_from_slice(
        format!(
            "Content-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\n\
             Content-Type: {file_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    out.extend_from_slice(bytes);
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), out)
}

async fn upload(api: SocketAddr, path: &str, token: Option<&str>, png: &[u8]) -> Answer {
    let (ct, body) = multipart("photo", "upload.png", "image/png", png);
    call(api, "POST", path, token, Some(&ct), body).await
}

/// The test images: a listed picture, a slightly edited copy of it (JPEG,
/// a patch painted over, brighter), a clean one, and an MD5-listed JPEG.
struct Images {
    listed_png: Bytes,
    edited_jpg: Bytes,
    clean_png: Bytes,
    md5_jpg: Bytes,
    listed_pdq: String,
}

fn images() -> Images {
    let listed = picture(11, 320, 240);
    let mut edited: RgbImage = listed.clone();
    for (x, y, p) in edited.enumerate_pixels_mut() {
        for c in &mut p.0 {
            *c = c.saturating_add(6);
        }
        if (20..44).contains(&x) && (20..44).contains(&y) {
            p.0 = [255, 255, 255];
        }
    }
    let listed_png = encode(&listed, ImageFormat::Png);
    let edited_jpg = encode(&edited, ImageFormat::Jpeg);
    let listed_pdq = hex_of(&listed_png, Algorithm::Pdq);
    Images {
        edited_jpg,
        clean_png: encode(&picture(12, 320, 240), ImageFormat::Png),
        md5_jpg: encode(&picture(13, 200, 150), ImageFormat::Jpeg),
        listed_png,
        listed_pdq,
    }
}

fn distance(a: &str, b: &str) -> u32 {
    PdqHash::from_hex(a)
        .unwrap()
        .hamming_distance(&PdqHash::from_hex(b).unwrap())
}

/// Flips the low bit of the first `n` hex digits of a PDQ hash.
fn flip_bits(hex: &str, n: usize) -> String {
    hex.chars()
        .enumerate()
        .map(|(i, c)| {
            if i < n {
                let v = c.to_digit(16).unwrap() ^ 1;
                char::from_digit(v, 16).unwrap()
            } else {
                c
            }
        })
        .collect()
}

/// The police and monitor lists of the support module, and an image
/// hotline list (bank `hotline`) with the listed PDQ and an MD5.
fn config(dir: &TempDir, img: &Images, api: &str) -> String {
    let police = dir.write("police.list", POLICE_LIST);
    let monitor = dir.write("monitor.list", MONITOR_LIST);
    let hotline = dir.write("hotline.list", &hotline_list(img, ""));
    let mut lists = String::new();
    for p in [&police, &monitor, &hotline] {
        lists.push_str(&format!(
            "[[list]]\npath = {:?}\nallow_unsigned = true\n",
            p.display().to_string()
        ));
    }
    base_config(
        dir,
        &format!("[admin]\ntoken = \"adm\"\n[api]\n{api}\n{lists}"),
    )
}

fn hotline_list(img: &Images, more: &str) -> String {
    format!(
        "# issuer: Image Hotline\n# jurisdiction: GB\n# category: csam\n# policy: block\n\
         pdq {} CASE-PDQ-1\nmd5 {} CASE-MD5-1\n{more}",
        img.listed_pdq,
        hex_of(&img.md5_jpg, Algorithm::Md5),
    )
}

async fn start(dir: &TempDir, img: &Images, api: &str) -> (Proxy, SocketAddr) {
    let proxy = Proxy::start(&config(dir, img, api)).await;
    let addr = proxy.api.expect("the API listens");
    (proxy, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_batch_gives_each_item_its_verdict_or_error_in_order() {
    let dir = TempDir::new("api-batch");
    let img = images();
    let (proxy, api) = start(&dir, &img, "").await;
    let near = flip_bits(&img.listed_pdq, 5);
    let a = post_json(
        api,
        "/v1/check",
        &json!({
            "urls": ["http://blocked.example/x", "http://watched.example/", "http://fine.example/",
                     "", 42],
            "hashes": [
                {"kind": "pdq", "value": near},
                {"kind": "md5", "value": "0".repeat(32)},
                {"kind": "nope", "value": "00"},
                {"kind": "pdq", "value": "zz"},
                {"value": "00"},
            ],
        }),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.json);
    let urls = a.json["urls"].as_array().unwrap();
    assert_eq!(urls.len(), 5);
    assert_eq!(urls[0]["url"], "http://blocked.example/x");
    assert_eq!(urls[0]["action"], "block");
    let m = &urls[0]["matches"][0];
    assert_eq!(m["list"], "police");
    assert_eq!(m["issuer"], "Example Police <script>alert(1)</script>");
    assert_eq!(m["jurisdiction"], "DE");
    assert_eq!(m["category"], "csam");
    assert_eq!(m["kind"], "domain");
    assert_eq!(m["reference"], "CASE-SECRET-001");
    assert_eq!(urls[1]["action"], "monitor");
    assert_eq!(urls[1]["matches"][0]["list"], "monitor");
    assert_eq!(urls[2]["action"], "no-match");
    assert_eq!(urls[2]["matches"], json!([]));
    assert_eq!(urls[3]["error"]["kind"], "invalid_url", "{}", urls[3]);
    assert_eq!(urls[4]["error"]["kind"], "bad_item", "{}", urls[4]);

    let hashes = a.json["hashes"].as_array().unwrap();
    assert_eq!(hashes.len(), 5);
    // A listed PDQ hash found at a distance above 0.
    assert_eq!(hashes[0]["action"], "block", "{}", hashes[0]);
    let m = &hashes[0]["matches"][0];
    assert_eq!(m["list"], "hotline");
    assert_eq!(m["kind"], "pdq");
    assert_eq!(m["reference"], "CASE-PDQ-1");
    assert_eq!(m["distance"], 5);
    assert_eq!(m["variant"], "orig");
    assert_eq!(hashes[1]["action"], "no-match");
    assert_eq!(hashes[2]["error"]["kind"], "unknown_hash_kind");
    assert_eq!(hashes[3]["error"]["kind"], "invalid_hash");
    assert_eq!(hashes[4]["error"]["kind"], "bad_item");
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_image_hashes_raw_and_multipart_uploads() {
    let dir = TempDir::new("api-image");
    let img = images();
    let edited_pdq = hex_of(&img.edited_jpg, Algorithm::Pdq);
    let d = distance(&edited_pdq, &img.listed_pdq);
    assert!(
        (1..=31).contains(&d),
        "fixture: the edited image must be near, not equal ({d})"
    );
    let (proxy, api) = start(&dir, &img, "").await;

    // Raw PNG body: the listed image, at distance 0.
    let a = call(
        api,
        "POST",
        "/v1/check/image",
        None,
        Some("image/png"),
        img.listed_png.to_vec(),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(a.json["hashes"]["pdq"]["hash"], img.listed_pdq.as_str());
    assert!(a.json["hashes"]["pdq"]["quality"].as_u64().unwrap() > 50);
    assert_eq!(
        a.json["hashes"]["md5"],
        hex_of(&img.listed_png, Algorithm::Md5).as_str()
    );
    assert_eq!(
        a.json["hashes"]["sha256"],
        hex_of(&img.listed_png, Algorithm::Sha256).as_str()
    );
    assert_eq!(a.json["dimensions"], json!({"width": 320, "height": 240}));
    assert_eq!(a.json["verdict"]["action"], "block");
    assert_eq!(a.json["verdict"]["matches"][0]["distance"], 0);
    assert_eq!(a.json["verdict"]["matches"][0]["reference"], "CASE-PDQ-1");

    // Multipart `photo`: the edited JPEG, found at distance d > 0.
    let (ct, body) = multipart("photo", "edited.jpg", "image/jpeg", &img.edited_jpg);
    let a = call(api, "POST", "/v1/check/image", None, Some(&ct), body).await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(a.json["hashes"]["pdq"]["hash"], edited_pdq.as_str());
    let m = &a.json["verdict"]["matches"][0];
    assert_eq!(m["list"], "hotline", "{}", a.json);
    assert_eq!(m["distance"], d);
    assert_eq!(a.json["verdict"]["action"], "block");

    // The MD5-listed JPEG (octet-stream), and a clean image.
    let a = call(
        api,
        "POST",
        "/v1/check/image",
        None,
        Some("application/octet-stream"),
        img.md5_jpg.to_vec(),
    )
    .await;
    assert_eq!(a.json["verdict"]["matches"][0]["kind"], "md5", "{}", a.json);
    assert_eq!(a.json["verdict"]["matches"][0]["reference"], "CASE-MD5-1");
    let a = call(
        api,
        "POST",
        "/v1/check/image",
        None,
        Some("image/png"),
        img.clean_png.to_vec(),
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json["verdict"]["action"], "no-match");

    // Not an image type: 415; not an image at all: 422; no file: 400.
    let a = call(
        api,
        "POST",
        "/v1/check/image",
        None,
        Some("text/plain"),
        b"hello".to_vec(),
    )
    .await;
    assert_eq!(a.status, 415, "{}", a.json);
    assert_eq!(a.json["error"]["kind"], "unsupported_media_type");
    let a = call(
        api,
        "POST",
        "/v1/check/image",
        None,
        Some("image/png"),
        b"\x89PNG\r\n\x1a\nnot really a png".to_vec(),
    )
    .await;
    assert_eq!(a.status, 422, "{}", a.json);
    assert_eq!(a.json["error"]["kind"], "undecodable_image");
    let (ct, body) = multipart("video", "x.mp4", "video/mp4", b"....");
    let a = call(api, "POST", "/v1/check/image", None, Some(&ct), body).await;
    assert_eq!(a.status, 400, "{}", a.json);
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hma_endpoints_answer_with_hma_shapes() {
    let dir = TempDir::new("api-hma");
    let img = images();
    let (proxy, api) = start(&dir, &img, "").await;
    let near = flip_bits(&img.listed_pdq, 3);

    let a = get(api, &format!("/m/lookup?signal_type=pdq&signal={near}")).await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(
        a.json,
        json!({"hotline": [{"bank_content_id": "CASE-PDQ-1", "distance": "3"}]})
    );
    // Bank filtering.
    let a = get(
        api,
        &format!("/m/lookup?signal_type=pdq&signal={near}&banks=police,monitor"),
    )
    .await;
    assert_eq!(a.json, json!({}));
    let a = get(
        api,
        &format!("/m/lookup?signal_type=pdq&signal={near}&banks=police,hotline"),
    )
    .await;
    assert_eq!(a.json["hotline"][0]["bank_content_id"], "CASE-PDQ-1");

    // POST /m/lookup: hash the photo, then match; keyed by signal type.
    let a = upload(api, "/m/lookup", None, &img.listed_png).await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(
        a.json,
        json!({"pdq": {"hotline": [{"bank_content_id": "CASE-PDQ-1", "distance": "0"}]}})
    );
    let a = upload(api, "/m/lookup?banks=police", None, &img.listed_png).await;
    assert_eq!(a.json, json!({"pdq": {}}));

    let a = get(api, &format!("/m/raw_lookup?signal_type=pdq&signal={near}")).await;
    assert_eq!(a.json, json!({"matches": ["CASE-PDQ-1"]}));
    let a = get(
        api,
        &format!("/m/raw_lookup?signal_type=pdq&signal={near}&include_distance=true"),
    )
    .await;
    assert_eq!(
        a.json,
        json!({"matches": [{"bank_content_id": "CASE-PDQ-1", "distance": "3"}]})
    );
    let a = get(
        api,
        &format!("/m/raw_lookup?signal_type=pdq&signal={near}&banks=police"),
    )
    .await;
    assert_eq!(a.json, json!({"matches": []}));

    // Every bit flipped.
    let far = img
        .listed_pdq
        .chars()
        .map(|c| {
            let v = c.to_digit(16).unwrap() ^ 0xf;
            char::from_digit(v, 16).unwrap()
        })
        .collect::<String>();
    let a = post_json(api, "/m/compare", &json!({"pdq": [img.listed_pdq, near]})).await;
    assert_eq!(a.json, json!({"pdq": [true, {"distance": 3}]}));
    let a = post_json(api, "/m/compare", &json!({"pdq": [img.listed_pdq, far]})).await;
    assert_eq!(a.json, json!({"pdq": [false, {"distance": 256}]}));
    let a = post_json(api, "/m/compare", &json!({"pdq": [img.listed_pdq]})).await;
    assert_eq!(a.status, 400);

    let a = get(api, "/m/index/status").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json["pdq"]["present"], true, "{}", a.json);
    assert_eq!(a.json["pdq"]["size"], 2);
    assert_eq!(
        a.json["phash"],
        json!({"present": false, "built_to": -1, "size": 0})
    );
    let a = get(api, "/m/index/status?signal_type=md5").await;
    assert_eq!(a.json.as_object().unwrap().len(), 1, "{}", a.json);
    assert_eq!(a.json["md5"]["present"], true);

    let a = upload(api, "/h/hash", None, &img.listed_png).await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(a.json, json!({"pdq": img.listed_pdq}));
    // Fetching by URL is off: a JSON error, never a fetch.
    let a = get(api, "/h/hash?url=http://127.0.0.1:1/x.png").await;
    assert_eq!(a.status, 400);
    assert_eq!(a.json["error"]["kind"], "url_fetch_disabled");
    let a = get(api, "/m/lookup?url=http://127.0.0.1:1/x.png").await;
    assert_eq!(a.json["error"]["kind"], "url_fetch_disabled");

    // Unknown signal type, bad signal, missing parameters: 400.
    for (path, kind) in [
        (
            "/m/lookup?signal_type=vpdq&signal=00",
            "unknown_signal_type",
        ),
        (
            "/m/raw_lookup?signal_type=video_md5&signal=00",
            "unknown_signal_type",
        ),
        ("/m/lookup?signal_type=pdq&signal=abc", "invalid_signal"),
        ("/m/lookup", "missing_parameter"),
        ("/m/index/status?signal_type=nope", "unknown_signal_type"),
    ] {
        let a = get(api, path).await;
        assert_eq!(a.status, 400, "{path}: {}", a.json);
        assert_eq!(a.json["error"]["kind"], kind, "{path}");
    }
    let a = post_json(api, "/m/compare", &json!({"vpdq": ["00", "00"]})).await;
    assert_eq!(a.json["error"]["kind"], "unknown_signal_type");
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_openapi_and_unknown_routes() {
    let dir = TempDir::new("api-lists");
    let img = images();
    let (proxy, api) = start(&dir, &img, "").await;
    let a = get(api, "/v1/lists").await;
    assert_eq!(a.status, 200);
    let lists = a.json["lists"].as_array().unwrap();
    let ids: Vec<&str> = lists.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["police", "monitor", "hotline"]);
    assert_eq!(lists[0]["sequence"], 7);
    assert_eq!(lists[0]["entries"], 2);
    assert_eq!(lists[0]["policy"], "block");
    assert_eq!(lists[1]["policy"], "monitor");
    assert_eq!(lists[2]["issuer"], "Image Hotline");

    let a = get(api, "/openapi.json").await;
    assert_eq!(a.status, 200);
    assert!(a.json["openapi"].as_str().unwrap().starts_with("3.1"));
    for (method, path) in ROUTES {
        assert!(
            a.json["paths"][path][method].is_object(),
            "{method} {path} missing from the served document"
        );
    }

    // Keep-alive: several requests on one connection.
    let mut conn = ProxyConn::open(api).await;
    for path in ["/v1/lists", "/m/index/status", "/v1/lists"] {
        let req = Request::get(path)
            .header("host", "api.test")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let (status, _, _) = conn.send(req).await.unwrap();
        assert_eq!(status, 200, "{path}");
    }

    let a = get(api, "/nowhere").await;
    assert_eq!(a.status, 404);
    assert_eq!(a.json["error"]["kind"], "not_found");
    let a = call(api, "DELETE", "/v1/lists", None, None, vec![]).await;
    assert_eq!(a.status, 405);
    assert_eq!(a.json["error"]["kind"], "method_not_allowed");
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_follows_list_reloads() {
    let dir = TempDir::new("api-reload");
    let img = images();
    let (proxy, api) = start(&dir, &img, "").await;
    let clean_pdq = hex_of(&img.clean_png, Algorithm::Pdq);
    let path = format!("/m/raw_lookup?signal_type=pdq&signal={clean_pdq}");
    assert_eq!(get(api, &path).await.json, json!({"matches": []}));
    dir.write(
        "hotline.list",
        &hotline_list(&img, &format!("pdq {clean_pdq} CASE-NEW\n")),
    );
    let (status, body) = admin_request(proxy.admin.unwrap(), "POST", "/reload", Some("adm")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(get(api, &path).await.json, json!({"matches": ["CASE-NEW"]}));
    let a = get(api, "/v1/lists").await;
    assert_eq!(a.json["lists"][2]["entries"], 3);
    proxy.stop().await;
}

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
