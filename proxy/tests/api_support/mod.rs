//! Shared parts of the `serve_api*` tests: a proxy with the matching API
//! on an ephemeral port, the test lists and images, and a small client.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;

use bytes::Bytes;
use hashwall::image::{Algorithm, PdqHash};
use http_body_util::Full;
use hyper::{HeaderMap, Request};
use image::{ImageFormat, RgbImage};
use serde_json::Value;

use crate::image_support::{encode, hex_of, picture};
use crate::serve_support::*;

/// A response: status, headers, JSON body.
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub json: Value,
}

/// One request to the API on a fresh connection.
pub async fn call(
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

pub async fn get(api: SocketAddr, path: &str) -> Answer {
    call(api, "GET", path, None, None, vec![]).await
}

pub async fn post_json(api: SocketAddr, path: &str, body: &Value) -> Answer {
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
pub fn multipart(field: &str, file_name: &str, file_type: &str, bytes: &[u8]) -> (String, Vec<u8>) {
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

pub async fn upload(api: SocketAddr, path: &str, token: Option<&str>, png: &[u8]) -> Answer {
    let (ct, body) = multipart("photo", "upload.png", "image/png", png);
    call(api, "POST", path, token, Some(&ct), body).await
}

/// The test images: a listed picture, a slightly edited copy of it (JPEG,
/// a patch painted over, brighter), a clean one, and an MD5-listed JPEG.
pub struct Images {
    pub listed_png: Bytes,
    pub edited_jpg: Bytes,
    pub clean_png: Bytes,
    pub md5_jpg: Bytes,
    pub listed_pdq: String,
}

pub fn images() -> Images {
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

pub fn distance(a: &str, b: &str) -> u32 {
    PdqHash::from_hex(a)
        .unwrap()
        .hamming_distance(&PdqHash::from_hex(b).unwrap())
}

/// Flips the low bit of the first `n` hex digits of a PDQ hash.
pub fn flip_bits(hex: &str, n: usize) -> String {
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
pub fn config(dir: &TempDir, img: &Images, api: &str) -> String {
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

pub fn hotline_list(img: &Images, more: &str) -> String {
    format!(
        "# issuer: Image Hotline\n# jurisdiction: GB\n# category: csam\n# policy: block\n\
         pdq {} CASE-PDQ-1\nmd5 {} CASE-MD5-1\n{more}",
        img.listed_pdq,
        hex_of(&img.md5_jpg, Algorithm::Md5),
    )
}

pub async fn start(dir: &TempDir, img: &Images, api: &str) -> (Proxy, SocketAddr) {
    let proxy = Proxy::start(&config(dir, img, api)).await;
    let addr = proxy.api.expect("the API listens");
    (proxy, addr)
}
