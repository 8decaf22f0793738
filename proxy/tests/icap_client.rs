//! The ICAP service against c-icap's own client (`c-icap-client`, Debian
//! `c-icap`) on loopback: OPTIONS, REQMOD, RESPMOD, with and without
//! preview, with and without `Allow: 204`.
#![allow(clippy::unwrap_used)]

mod icap_support;
mod image_support;
mod serve_support;

use hashwall::image::Algorithm;
use icap_support::{c_icap_client, peer, start};
use image::ImageFormat;
use image_support::{encode, hex_of, picture};
use serve_support::*;

/// ICAP only: the police list and a list naming one image by PDQ.
fn config(dir: &TempDir, listed: &[u8]) -> String {
    let police = dir.write("police.list", POLICE_LIST);
    let images = dir.write(
        "images.list",
        &format!(
            "# issuer: Image Hotline\n# jurisdiction: DE\n# category: csam\n# policy: block\n\
             pdq {} CASE-PDQ\n",
            hex_of(listed, Algorithm::Pdq)
        ),
    );
    format!(
        "[proxy]\nenabled = false\n[api]\nenabled = false\n\
         [[list]]\npath = {:?}\nallow_unsigned = true\n[[list]]\npath = {:?}\nallow_unsigned = true\n",
        police.display().to_string(),
        images.display().to_string()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c_icap_client_options_reqmod_and_respmod() {
    if !peer("c-icap-client", "c_icap_client_options_reqmod_and_respmod") {
        return;
    }
    let dir = TempDir::new("icap-cclient");
    let listed = encode(&picture(1, 320, 240), ImageFormat::Png);
    let clean = encode(&picture(3, 320, 240), ImageFormat::Png);
    let listed_file = dir.0.join("listed.png");
    let clean_file = dir.0.join("clean.png");
    let html_file = dir.0.join("page.html");
    std::fs::write(&listed_file, &listed).unwrap();
    std::fs::write(&clean_file, &clean).unwrap();
    std::fs::write(&html_file, "<html>".repeat(1000)).unwrap();
    let (proxy, icap) = start(&dir, &config(&dir, &listed)).await;
    let out = dir.0.join("out");
    let out_s = out.display().to_string();
    let path = |p: &std::path::Path| p.display().to_string();

    // OPTIONS, each service.
    for (service, method) in [("reqmod", "REQMOD"), ("respmod", "RESPMOD")] {
        let r = c_icap_client(icap, &["-s", service, "-v"]).await;
        assert!(r.ok, "{}", r.output);
        for want in [
            format!("Methods: {method}"),
            "ISTag: \"hw-".to_owned(),
            "Preview: 1024".to_owned(),
            "Allow: 204".to_owned(),
            "Transfer-Preview: *".to_owned(),
            "Options-TTL: 3600".to_owned(),
            "Max-Connections: 1000".to_owned(),
        ] {
            assert!(r.output.contains(&want), "{want} missing:\n{}", r.output);
        }
    }

    // REQMOD: allowed → 204; listed → the 451 page.
    let r = c_icap_client(
        icap,
        &["-s", "reqmod", "-req", "http://fine.example/", "-v"],
    )
    .await;
    assert!(r.output.contains("ICAP/1.0 204"), "{}", r.output);
    let _ = std::fs::remove_file(&out);
    let r = c_icap_client(
        icap,
        &[
            "-s",
            "reqmod",
            "-req",
            "http://blocked.example/x",
            "-v",
            "-o",
            &out_s,
        ],
    )
    .await;
    assert!(r.output.contains("HTTP/1.1 451"), "{}", r.output);
    assert!(
        r.output.to_ascii_lowercase().contains("rel=\"blocked-by\""),
        "{}",
        r.output
    );
    let page = std::fs::read_to_string(&out).unwrap();
    assert!(page.contains("Example Police"), "{page}");

    // RESPMOD with and without preview: a listed image → 451.
    for preview in [&[][..], &["-nopreview"][..]] {
        let _ = std::fs::remove_file(&out);
        let mut args = vec![
            "-s",
            "respmod",
            "-resp",
            "http://img.example/a.png",
            "-v",
            "-o",
            &out_s,
        ];
        let f = path(&listed_file);
        args.extend(["-f", f.as_str()]);
        args.extend(preview);
        let r = c_icap_client(icap, &args).await;
        assert!(
            r.output.contains("HTTP/1.1 451"),
            "{preview:?}: {}",
            r.output
        );
        assert!(
            std::fs::read_to_string(&out)
                .unwrap()
                .contains("Image Hotline")
        );
    }
    // A clean image: 204 (preview, or Allow: 204); echoed unchanged with
    // neither.
    for extra in [&[][..], &["-nopreview"][..]] {
        let f = path(&clean_file);
        let mut args = vec![
            "-s",
            "respmod",
            "-resp",
            "http://img.example/c.png",
            "-v",
            "-f",
            f.as_str(),
        ];
        args.extend(extra);
        let r = c_icap_client(icap, &args).await;
        assert!(r.output.contains("ICAP/1.0 204"), "{extra:?}: {}", r.output);
    }
    let _ = std::fs::remove_file(&out);
    let f = path(&clean_file);
    let r = c_icap_client(
        icap,
        &[
            "-s",
            "respmod",
            "-resp",
            "http://img.example/c.png",
            "-v",
            "-f",
            &f,
            "-nopreview",
            "-no204",
            "-o",
            &out_s,
        ],
    )
    .await;
    assert!(r.output.contains("ICAP/1.0 200"), "{}", r.output);
    assert!(
        std::fs::read(&out).unwrap() == clean,
        "the echoed image differs"
    );
    // Not an image: 204 after the preview.
    let f = path(&html_file);
    let r = c_icap_client(
        icap,
        &[
            "-s",
            "respmod",
            "-resp",
            "http://fine.example/",
            "-v",
            "-f",
            &f,
            "-no204",
        ],
    )
    .await;
    assert!(r.output.contains("ICAP/1.0 204"), "{}", r.output);
    proxy.stop().await;
}
