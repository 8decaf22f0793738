//! Squid 5.7 with hashwall as its ICAP service (`reqmod_precache` and
//! `respmod_precache`), `curl` through Squid to an origin on a test
//! address. Squid is a forwarding proxy, so the test runs in a
//! loopback-only network namespace (`netns`): the test names resolve from
//! a private hosts file to an address on `lo`, nothing can leave.
//!
//! The squid.conf lines are those PROXY.md shows ("Behind Squid (ICAP)").
#![allow(clippy::unwrap_used)]

mod icap_support;
mod image_support;
mod netns;
mod serve_support;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hashwall::image::Algorithm;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use icap_support::{Raw, peer, start};
use image::ImageFormat;
use image_support::{encode, hex_of, picture};
use serve_support::*;
use tokio::net::{TcpListener, TcpStream};

const ORIGIN: &str = "192.0.2.10";
const ORIGIN_PORT: u16 = 8080;

const SETUP: netns::Setup = netns::Setup {
    addrs: &["192.0.2.10"],
    hosts: &[(
        "192.0.2.10",
        "fine.example blocked.example img.example newly.example",
    )],
};

/// The squid.conf of the tests (and of PROXY.md), for Squid on `port`
/// with its files in `dir`, hashwall's ICAP service on `icap`, and
/// `bypass` (`on`: serve unadapted when the service is down; `off`: fail).
pub fn squid_conf(dir: &Path, port: u16, icap: SocketAddr, bypass: &str) -> String {
    let d = dir.display();
    format!(
        "http_port 127.0.0.1:{port}\n\
         pid_filename {d}/squid.pid\n\
         cache_log {d}/cache.log\n\
         access_log stdio:{d}/access.log\n\
         coredump_dir {d}\n\
         cache deny all\n\
         http_access allow localhost\n\
         http_access deny all\n\
         pinger_enable off\n\
         shutdown_lifetime 0 seconds\n\
         icap_enable on\n\
         icap_send_client_ip on\n\
         icap_preview_enable on\n\
         icap_preview_size 1024\n\
         icap_service hashwall_req reqmod_precache icap://{icap}/reqmod bypass={bypass}\n\
         icap_service hashwall_resp respmod_precache icap://{icap}/respmod bypass={bypass}\n\
         adaptation_access hashwall_req allow all\n\
         adaptation_access hashwall_resp allow all\n"
    )
}

/// A Squid run in the foreground (`-N`), stopped on drop.
struct Squid {
    child: Child,
    port: u16,
    run: std::path::PathBuf,
}

impl Squid {
    async fn start(dir: &TempDir, icap: SocketAddr, bypass: &str) -> Squid {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        let run = dir.0.join(format!("squid-{bypass}"));
        std::fs::create_dir_all(&run).unwrap();
        // Squid writes its logs as its own user (`proxy`).
        Command::new("chmod")
            .arg("1777")
            .arg(&run)
            .status()
            .unwrap();
        let conf = run.join("squid.conf");
        std::fs::write(&conf, squid_conf(&run, port, icap, bypass)).unwrap();
        let child = Command::new("squid")
            .arg("-N")
            .arg("-f")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let squid = Squid {
            child,
            port,
            run: run.clone(),
        };
        for _ in 0..300 {
            if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return squid;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let log = std::fs::read_to_string(run.join("cache.log")).unwrap_or_default();
        panic!("squid did not listen on {port}:\n{log}");
    }

    /// `curl` through Squid: status, response head, body.
    async fn get(&self, url: &str, dir: &TempDir) -> (u16, String, Vec<u8>) {
        let head = dir.0.join("curl-head");
        let body = dir.0.join("curl-body");
        let args: Vec<String> = vec![
            "-s".into(),
            "--max-time".into(),
            "30".into(),
            "-x".into(),
            format!("http://127.0.0.1:{}", self.port),
            "-D".into(),
            head.display().to_string(),
            "-o".into(),
            body.display().to_string(),
            "-w".into(),
            "%{http_code}".into(),
            url.into(),
        ];
        let out = tokio::task::spawn_blocking(move || Command::new("curl").args(&args).output())
            .await
            .unwrap()
            .unwrap();
        let code = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(0);
        if code == 0 {
            // Shown by the namespace's parent when the test fails.
            for log in ["cache.log", "access.log"] {
                let text = std::fs::read_to_string(self.run.join(log)).unwrap_or_default();
                eprintln!("--- squid {log} after {url}:\n{text}");
            }
        }
        (
            code,
            std::fs::read_to_string(&head).unwrap_or_default(),
            std::fs::read(&body).unwrap_or_default(),
        )
    }
}

impl Drop for Squid {
    fn drop(&mut self) {
        // Our child, by its id.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The origin: fixed paths, everything else a small text page.
async fn origin(site: Vec<(&'static str, &'static str, Bytes)>) {
    let site = Arc::new(site);
    let listener = TcpListener::bind((ORIGIN, ORIGIN_PORT)).await.unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let site = Arc::clone(&site);
            tokio::spawn(async move {
                let svc = service_fn(move |req: Request<Incoming>| {
                    let site = Arc::clone(&site);
                    async move {
                        let (ct, body) =
                            site.iter().find(|(p, _, _)| *p == req.uri().path()).map_or(
                                ("text/plain", Bytes::from_static(b"other")),
                                |(_, c, b)| (*c, b.clone()),
                            );
                        let resp = Response::builder()
                            .header("content-type", ct)
                            .body(Full::new(body))
                            .unwrap();
                        Ok::<_, Infallible>(resp)
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
}

fn url(host: &str, path: &str) -> String {
    format!("http://{host}:{ORIGIN_PORT}{path}")
}

#[test]
fn squid_adapts_through_hashwall_and_follows_bypass() {
    let name = "squid_adapts_through_hashwall_and_follows_bypass";
    if !peer("squid", name) || !peer("curl", name) {
        return;
    }
    netns::run(name, &SETUP, || async {
        let page = Bytes::from_static(b"<html><body>a fine page</body></html>\n");
        // Under 64 KiB: see PROXY.md on Squid 5.7 and larger bodies.
        let clean = encode(&picture(3, 96, 72), ImageFormat::Png);
        let listed = encode(&picture(1, 96, 72), ImageFormat::Jpeg);
        assert!(clean.len() < 60_000 && listed.len() < 60_000);
        origin(vec![
            ("/page", "text/html", page.clone()),
            ("/clean.png", "image/png", clean.clone()),
            ("/listed.jpg", "image/jpeg", listed.clone()),
        ])
        .await;
        let dir = TempDir::new("icap-squid");
        Command::new("chmod")
            .arg("755")
            .arg(&dir.0)
            .status()
            .unwrap();
        let police = dir.write("police.list", POLICE_LIST);
        let images = dir.write(
            "images.list",
            &format!(
                "# issuer: Image Hotline\n# jurisdiction: DE\n# category: csam\n# policy: block\n\
                 md5 {} CASE-MD5\n",
                hex_of(&listed, Algorithm::Md5)
            ),
        );
        let config = format!(
            "[proxy]\nenabled = false\n[api]\nenabled = false\n\
             [[list]]\npath = {:?}\nallow_unsigned = true\n[[list]]\npath = {:?}\nallow_unsigned = true\n",
            police.display().to_string(),
            images.display().to_string()
        );
        let (hashwall, icap) = start(&dir, &config).await;
        let squid = Squid::start(&dir, icap, "off").await;

        let (code, _, body) = squid.get(&url("fine.example", "/page"), &dir).await;
        assert_eq!(
            (code, body.as_slice()),
            (200, page.as_ref()),
            "allowed page"
        );
        let (code, _, body) = squid.get(&url("img.example", "/clean.png"), &dir).await;
        assert_eq!(code, 200);
        assert!(body == clean, "the allowed image arrives unchanged");
        let (code, head, body) = squid.get(&url("blocked.example", "/x"), &dir).await;
        assert_eq!(code, 451, "{head}");
        assert!(
            head.to_ascii_lowercase().contains("rel=\"blocked-by\""),
            "{head}"
        );
        assert!(String::from_utf8_lossy(&body).contains("Example Police"));
        let (code, head, _) = squid.get(&url("img.example", "/listed.jpg"), &dir).await;
        assert_eq!(code, 451, "listed image: {head}");

        // A list reload: a new ISTag, and the new entry enforced.
        let tag = |icap| async move {
            let mut c = Raw::open(icap).await;
            c.send(format!("OPTIONS icap://{icap}/reqmod ICAP/1.0\r\n\r\n").as_bytes())
                .await;
            c.response().await.unwrap().field("istag").unwrap()
        };
        let before = tag(icap).await;
        assert_eq!(squid.get(&url("newly.example", "/"), &dir).await.0, 200);
        dir.write(
            "police.list",
            &format!("{POLICE_LIST}domain newly.example CASE-NEW\n"),
        );
        let report = hashwall
            .running
            .as_ref()
            .unwrap()
            .lists
            .reload("test")
            .await;
        assert!(report.ok);
        assert_ne!(tag(icap).await, before);
        assert_eq!(squid.get(&url("newly.example", "/"), &dir).await.0, 451);

        // hashwall stopped: bypass=off fails the request, bypass=on serves
        // it unadapted.
        hashwall.stop().await;
        let (code, _, _) = squid.get(&url("fine.example", "/page"), &dir).await;
        assert_eq!(code, 500, "bypass=off with the service down");
        drop(squid);
        let squid = Squid::start(&dir, icap, "on").await;
        let (code, _, body) = squid.get(&url("fine.example", "/page"), &dir).await;
        assert_eq!((code, body.as_slice()), (200, page.as_ref()), "bypass=on");
        drop(squid);
    });
}
