//! Writes the seed corpora of the fuzz targets: signed lists and deltas made
//! with the list crate's own signing functions, tiny images in every format
//! the engine decodes (and truncated copies), HTTP request heads, Bloom
//! filters exported by the code, Hamming index programs.
//!
//! `cargo run -p hashwall-fuzz-checks --example make_seeds` (from the
//! workspace root) adds the files to `fuzz/corpus/<target>/`, named by their
//! content as libFuzzer names its finds; the output is deterministic and
//! committed. Every seed must pass its check: this program checks them.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use hashwall_fuzz_checks::list_parse::seeds;
use hashwall_lists::exchange::BloomFilter;
use hashwall_lists::exchange::BloomTag;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use sha2::{Digest, Sha256};

fn write(dir: &Path, target: &str, bytes: &[u8]) -> std::io::Result<()> {
    let dir = dir.join(target);
    std::fs::create_dir_all(&dir)?;
    let sum = Sha256::digest(bytes);
    let name: String = sum[..8].iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(dir.join(name), bytes)
}

fn lists() -> Vec<Vec<u8>> {
    let s = seeds();
    let text = |i: usize| s.lists[i].to_text().into_bytes();
    let with = |list: Vec<u8>, delta: &hashwall_lists::Delta| {
        let mut v = list;
        v.push(0);
        v.extend_from_slice(delta.to_text().as_bytes());
        v
    };
    let mut out = vec![
        text(0),
        text(1),
        text(2),
        with(text(0), &s.deltas[0]),
        with(text(1), &s.deltas[1]),
        // A gap and a replay: typed errors.
        with(text(0), &s.deltas[1]),
        with(text(2), &s.deltas[0]),
    ];
    // A signed list with one entry changed: must not verify.
    let forged = String::from_utf8_lossy(&text(0)).replace("banned/", "banned2/");
    out.push(with(forged.into_bytes(), &s.deltas[0]));
    // Unsigned, headerless, and every entry kind.
    out.push(
        b"# hashwall-list: 1\n# id: plain\n# issuer: local\n# policy: monitor\n\
          url http://a.example/b?c=d\nurl-prefix a.example/\ndomain a.example\n\
          dhash 00ff00ff00ff00ff\n@2026-01-01T00:00:00Z sha256 \
          e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 ref with spaces\n"
            .to_vec(),
    );
    out.push(b"domain example.invalid\n\0# hashwall-delta: 1\n# id: fuzz\n# issuer: local\n# from: 0\n# to: 1\n# changes: 1\n\n+ domain b.example\n".to_vec());
    out
}

fn images() -> Result<Vec<Vec<u8>>, image::ImageError> {
    let rgb = RgbImage::from_fn(19, 13, |x, y| {
        Rgb([(x * 13) as u8, (y * 19) as u8, ((x ^ y) * 7) as u8])
    });
    let rgba = RgbaImage::from_fn(9, 11, |x, y| {
        Rgba([(x * 28) as u8, (y * 23) as u8, 90, ((x + y) * 12) as u8])
    });
    let mut out = Vec::new();
    let encode = |img: &DynamicImage, f: ImageFormat| -> Result<Vec<u8>, image::ImageError> {
        let mut v = Vec::new();
        img.write_to(&mut Cursor::new(&mut v), f)?;
        Ok(v)
    };
    let rgb = DynamicImage::ImageRgb8(rgb);
    let rgba = DynamicImage::ImageRgba8(rgba);
    let gray = DynamicImage::ImageLuma8(rgb.to_luma8());
    for (img, f) in [
        (&rgb, ImageFormat::Png),
        (&rgba, ImageFormat::Png),
        (&gray, ImageFormat::Png),
        (&rgb, ImageFormat::Jpeg),
        (&gray, ImageFormat::Jpeg),
        (&rgba, ImageFormat::Gif),
        (&rgb, ImageFormat::WebP),
        (&rgba, ImageFormat::WebP),
        (&rgb, ImageFormat::Bmp),
        (&rgba, ImageFormat::Bmp),
        (&rgb, ImageFormat::Tiff),
        (&gray, ImageFormat::Tiff),
    ] {
        let bytes = encode(img, f)?;
        // A truncated copy: a typed error (or, where the format allows, a
        // partial image), never a panic.
        out.push(bytes[..bytes.len() * 2 / 3].to_vec());
        out.push(bytes);
    }
    // A 1×1 image, odd length (EXIF path) or not.
    let one = DynamicImage::ImageRgb8(RgbImage::from_pixel(1, 1, Rgb([200, 10, 10])));
    out.push(encode(&one, ImageFormat::Png)?);
    out.push(encode(&one, ImageFormat::Gif)?);
    // A PNG header claiming 100 000 × 100 000 pixels: refused by the limits.
    let mut bomb = encode(&one, ImageFormat::Png)?;
    bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    out.push(bomb);
    Ok(out)
}

fn heads() -> Vec<Vec<u8>> {
    let heads: &[(u8, &str)] = &[
        (
            0,
            "GET http://blocked.example/ HTTP/1.1\r\nHost: blocked.example\r\n\r\n",
        ),
        (
            0,
            "GET http://www.example.org/index.html?q=1 HTTP/1.1\r\nHost: www.example.org\r\nConnection: keep-alive, X-Secret\r\nX-Secret: 1\r\nKeep-Alive: 5\r\nTE: trailers\r\nUpgrade: h2c\r\n\r\n",
        ),
        (
            0,
            "GET http://GALLERY.example/%62anned/x.jpg HTTP/1.1\r\nHost: x\r\n\r\n",
        ),
        (
            4,
            "GET http://user:pw@gallery.example/banned/ HTTP/1.1\r\n\r\n",
        ),
        (
            0,
            "GET http://blocked.example.@good.example/ HTTP/1.1\r\n\r\n",
        ),
        (0, "GET http://192.0.2.7:80/ HTTP/1.1\r\n\r\n"),
        (0, "GET http://3221225991/ HTTP/1.1\r\n\r\n"),
        (0, "GET http://[::1]:8080/a HTTP/1.1\r\n\r\n"),
        (0, "GET http://ports.example:8080/p/q HTTP/1.1\r\n\r\n"),
        (0, "GET http://odd.example/a%20b/c HTTP/1.1\r\n\r\n"),
        (0, "GET http://exact.example/q?x=1 HTTP/1.1\r\n\r\n"),
        (0, "GET http://127.0.0.1:3128/ HTTP/1.1\r\n\r\n"),
        (0, "GET https://blocked.example/ HTTP/1.1\r\n\r\n"),
        (0, "GET /relative HTTP/1.1\r\nHost: blocked.example\r\n\r\n"),
        (
            1,
            "GET /banned/a.jpg HTTP/1.1\r\nHost: gallery.example:80\r\n\r\n",
        ),
        (1, "GET / HTTP/1.1\r\nHost: xn--bcher-kva.example\r\n\r\n"),
        (
            0,
            "CONNECT blocked.example:443 HTTP/1.1\r\nHost: blocked.example:443\r\n\r\n",
        ),
        (0, "CONNECT www.example.org:443 HTTP/1.1\r\n\r\n"),
        (0, "CONNECT 192.0.2.7:443 HTTP/1.1\r\n\r\n"),
        (0, "CONNECT [2001:db8::1]:443 HTTP/1.1\r\n\r\n"),
        (0, "CONNECT www.example.org:22 HTTP/1.1\r\n\r\n"),
        (
            2,
            "GET http://www.example.org/ HTTP/1.1\r\nProxy-Authorization: Basic YWxpY2U6czNjcmV0\r\n\r\n",
        ),
        (
            2,
            "GET http://www.example.org/ HTTP/1.1\r\nProxy-Authorization: basic  YWxpY2U6czNjcmV0==\r\n\r\n",
        ),
        (
            2,
            "GET http://www.example.org/ HTTP/1.1\r\nProxy-Authorization: Basic YWxpY2U6czNjcmV1\r\n\r\n",
        ),
        (
            0,
            "GET http://www.example.org/ HTTP/1.1\r\nVia: 1.0 fred, 1.1 hashwall\r\n\r\n",
        ),
        (
            0,
            "GET http://www.example.org/ HTTP/1.1\r\nVia: 1.1 other (x)\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n",
        ),
        (
            8,
            "POST http://www.example.org/form HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        ),
        (
            8,
            "GET http://www.example.org/ HTTP/1.1\r\nConnection: host, via\r\nProxy-Connection: keep-alive\r\n\r\n",
        ),
        (4, "GET http://%zz/ HTTP/1.1\r\n\r\n"),
        (0, "GET http://hashed.example/private/x HTTP/1.1\r\n\r\n"),
        (
            0,
            "GET http://files.example/abuse/image-0001.jpg HTTP/1.1\r\n\r\n",
        ),
        (
            0,
            "POST http://www.example.org/ HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        ),
        (
            0,
            "POST http://www.example.org/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n",
        ),
        (
            0,
            "GET http://files.example/abuse/image-0001.jpg HTTP/1.1\r\nRange: bytes=0-99999\r\nIf-Range: \"v1\"\r\n\r\n",
        ),
    ];
    heads
        .iter()
        .map(|(sel, h)| {
            let mut v = vec![*sel];
            v.extend_from_slice(h.as_bytes());
            v
        })
        .collect()
}

fn blooms() -> Result<Vec<Vec<u8>>, hashwall_lists::Error> {
    let mut f = BloomFilter::with_rate(20, 0.01)?;
    f.insert(BloomTag::Domain, b"blocked.example");
    f.insert(BloomTag::UrlPrefix, b"gallery.example/banned/");
    f.insert(BloomTag::Md5, &[0xd4; 16]);
    let bytes = f.to_bytes();
    let mut out = Vec::new();
    for mode in [0u8, 1] {
        let mut v = vec![mode];
        v.extend_from_slice(&bytes);
        out.push(v);
    }
    let tiny = BloomFilter::with_params(1, 1, 0.5)?.to_bytes();
    out.push([&[0u8][..], &tiny].concat());
    out.push([&[1u8][..], &bytes[..40]].concat());
    let lines = "domain blocked.example\nurl-prefix GALLERY.example/%62anned/ REF\n\
        url http://files.example/a.jpg\n\
        url-sha256 01d2fbe2db96aba7703f174fcc94b52b5ce5d6a2f3c7b05a48107052bb74b79e\n\
        md5 d41d8cd98f00b204e9800998ecf8427e\nsha1 da39a3ee5e6b4b0d3255bfef95601890afd80709\n\
        sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
        pdq f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22\n\
        domain 0x7f.1\ndomain bücher.example\n";
    for rate in [0u8, 3, 5] {
        out.push([&[2u8, rate][..], lines.as_bytes()].concat());
    }
    Ok(out)
}

fn streams() -> Vec<Vec<u8>> {
    let smuggle = "POST http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    let streams: Vec<(u8, String)> = vec![
        (0, "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n".to_owned()),
        (7, smuggle.to_owned()),
        (
            1,
            format!(
                "GET http://a/ HTTP/1.1\r\n\r\nPOST http://a/ HTTP/1.1\r\nContent-Length: {}\r\n\r\n{smuggle}{smuggle}",
                smuggle.len()
            ),
        ),
        (
            42,
            format!(
                "POST http://a/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n{:x};ext=1\r\n{smuggle}\r\n0\r\nX-Trailer: 1\r\n\r\n{smuggle}",
                smuggle.len()
            ),
        ),
        (3, format!("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n{smuggle}")),
        (9, format!("\r\n\r\n{smuggle}")),
        (
            200,
            "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy".to_owned(),
        ),
        (5, format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(600))),
        (
            11,
            "GET http://a/ HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\nGET http://b/ HTTP/1.1\n\n".to_owned(),
        ),
    ];
    // Transfer codings other than one `chunked` (refused), and chunk size
    // lines hyper refuses (overflow, signs, prefixes) or takes (leading
    // zeros, extensions, u64::MAX), each followed by a conflicting head.
    let mut streams = streams;
    for (seed, te) in [
        (13u8, "gzip, chunked"),
        (14, "chunked, gzip"),
        (15, "identity"),
        (16, "chunked, chunked"),
        (17, "x-chunked"),
        (18, "chunked;q=1"),
        (19, "\tCHUNKED\t"),
        (20, "chunked\r\nTransfer-Encoding: chunked"),
        (21, "gzip,\r\n chunked"),
    ] {
        streams.push((
            seed,
            format!("POST http://a/ HTTP/1.1\r\nTransfer-Encoding: {te}\r\n\r\n5\r\nhello\r\n0\r\n\r\n{smuggle}"),
        ));
    }
    for (seed, size) in [
        (22u8, "ffffffffffffffffff"),
        (23, "10000000000000000"),
        (24, "ffffffffffffffff"),
        (25, "0000000000000000000000005"),
        (26, "-1"),
        (27, "+5"),
        (28, "0x5"),
        (29, "5;a=b;c"),
        (30, "5 ; ext"),
        (31, ""),
    ] {
        streams.push((
            seed,
            format!("POST http://a/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n{size}\r\nhello\r\n0\r\n\r\n{smuggle}"),
        ));
    }
    streams
        .into_iter()
        .map(|(seed, s)| {
            let mut v = vec![seed];
            v.extend_from_slice(s.as_bytes());
            v
        })
        .collect()
}

fn icap_streams() -> Vec<Vec<u8>> {
    let req = "GET http://a.example/x HTTP/1.1\r\nHost: a.example\r\n\r\n";
    let res = "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n";
    let (rl, rs) = (req.len(), req.len() + res.len());
    let streams: Vec<(u8, String)> = vec![
        (0, "OPTIONS icap://127.0.0.1:1344/reqmod ICAP/1.0\r\nHost: 127.0.0.1\r\n\r\n".to_owned()),
        (
            5,
            format!("REQMOD icap://h/reqmod ICAP/1.0\r\nAllow: 204\r\nEncapsulated: req-hdr=0, null-body={rl}\r\n\r\n{req}OPTIONS icap://h/respmod ICAP/1.0\r\n\r\n"),
        ),
        (
            9,
            format!("RESPMOD icap://h/respmod ICAP/1.0\r\nPreview: 4\r\nEncapsulated: req-hdr=0, res-hdr={rl}, res-body={rs}\r\n\r\n{req}{res}4\r\nabcd\r\n0\r\n\r\n6;x=1\r\nabcdef\r\n0\r\n\r\n"),
        ),
        (
            77,
            format!("RESPMOD icap://h/respmod ICAP/1.0\r\nPreview: 1024\r\nEncapsulated: res-hdr=0, res-body={}\r\n\r\n{res}3\r\nabc\r\n0; ieof\r\n\r\n", res.len()),
        ),
        (
            13,
            format!("REQMOD icap://h/reqmod ICAP/1.0\r\nEncapsulated: req-hdr=0, req-body={rl}\r\n\r\n{req}5\r\nhello\r\n0\r\n\r\n"),
        ),
        (
            21,
            "REQMOD icap://h/reqmod ICAP/1.0\r\nEncapsulated: req-hdr=0, null-body=30\r\n\r\nCONNECT a:443 HTTP/1.1\r\n\r\n".to_owned(),
        ),
        (3, "REQMOD icap://h/reqmod ICAP/1.0\r\nEncapsulated: res-hdr=0, req-hdr=9, null-body=2\r\n\r\n".to_owned()),
        (200, format!("RESPMOD icap://h/respmod ICAP/1.0\r\nEncapsulated: res-hdr=0, res-body={}\r\n\r\n{res}ffffffffffffffff\r\n", res.len())),
        (1, "BREW icap://h/x ICAP/1.0\r\n\r\n".to_owned()),
        (2, format!("OPTIONS icap://h/x ICAP/1.0\r\nX: {}\r\n\r\n", "a".repeat(1100))),
    ];
    streams
        .into_iter()
        .map(|(seed, s)| {
            let mut v = vec![seed];
            v.extend_from_slice(s.as_bytes());
            v
        })
        .collect()
}

fn pdq_programs() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    // radius, substrings, bucket target, seed (5 bytes), then (op, a, b)*.
    for (radius, subs, bucket, n, op_mix) in [
        (0u8, 0u8, 0u8, 40usize, 3u8),
        (10, 8, 3, 200, 1),
        (31, 0, 31, 300, 2),
        (32, 16, 0, 250, 0),
        (64, 23, 7, 120, 2),
        (16, 2, 255, 400, 1),
    ] {
        let mut v = vec![radius, subs, bucket, 1, 2, 3, 4, radius ^ 0x55];
        for i in 0..n {
            let op = match op_mix {
                0 => 0,
                1 => 1 + 2 * (i % 2) as u8,
                2 => 2 | (((i * 7) % 40) as u8) << 2,
                _ => (i % 4) as u8,
            };
            v.extend_from_slice(&[op, (i * 31 % 251) as u8, (i * 17 % 256) as u8]);
        }
        // Query: entry 5 with three bits flipped.
        v.extend_from_slice(&[5, 1, 100, 200]);
        out.push(v);
    }
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpus");
    let sets: Vec<(&str, Vec<Vec<u8>>, hashwall_fuzz_checks::Check)> = vec![
        ("list_parse", lists(), hashwall_fuzz_checks::list_parse),
        ("image_hash", images()?, hashwall_fuzz_checks::image_hash),
        (
            "proxy_request",
            heads(),
            hashwall_fuzz_checks::proxy_request,
        ),
        (
            "request_stream",
            streams(),
            hashwall_fuzz_checks::request_stream,
        ),
        (
            "bloom_import",
            blooms()?,
            hashwall_fuzz_checks::bloom_import,
        ),
        ("pdq_index", pdq_programs(), hashwall_fuzz_checks::pdq_index),
        (
            "icap_request",
            icap_streams(),
            hashwall_fuzz_checks::icap_request,
        ),
    ];
    for (target, inputs, check) in sets {
        for input in &inputs {
            check(input);
            write(&dir, target, input)?;
        }
        println!("{target}: {} seeds", inputs.len());
    }
    Ok(())
}
