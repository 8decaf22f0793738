//! The matching API (`[api]`) end to end: a real `hashwall serve` on
//! loopback ephemeral ports, called with a real HTTP client; images are
//! generated and encoded by the `image` crate and uploaded raw or as
//! multipart forms. Endpoints and their answers here; access, limits and
//! configuration in `serve_api_access.rs`.
#![allow(clippy::unwrap_used)]

mod api_support;
mod image_support;
mod serve_support;

use api_support::*;
use bytes::Bytes;
use hashwall::image::Algorithm;
use hashwall_proxy::serve::api::routes::ROUTES;
use http_body_util::Full;
use hyper::Request;
use image_support::hex_of;
use serde_json::json;
use serve_support::*;

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
    // Per signal type: one PDQ and one MD5 entry in the hotline list.
    assert_eq!(a.json["pdq"]["size"], 1);
    assert_eq!(a.json["md5"]["size"], 1);
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
    // Fetching by URL is off without api.fetch_hosts: a JSON error, never
    // a fetch (serve_api_fetch.rs covers fetching).
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
