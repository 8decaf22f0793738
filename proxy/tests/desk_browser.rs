//! The reporting desk end to end, in a real headless Chromium: the public
//! reports in Dutch and in English through the form (keyboard only: focus,
//! Tab, arrow keys, Enter), two
//! analysts log in, assess and confirm (four eyes), the entry appears in
//! the desk's published list, a `hashwall serve` subscribed to that
//! publication answers 451 for the URL, and the statistics pages show the
//! report. Screenshots of each page go to `target/desk-screenshots/`.
//! The reporter's address is never in the database file.
#![allow(clippy::unwrap_used)]

mod desk_support;
mod serve_support;
mod subscribe_support;

use std::io::{BufRead as _, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use desk_support::webdriver::{Browser, DOWN, ENTER, TAB, installed};
use serve_support::*;
use subscribe_support::*;

const PASSWORD: &str = "a long enough password";

fn screenshots() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/desk-screenshots")
}

fn desk_cmd(config: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hashwall"));
    c.arg("desk").arg("--config").arg(config);
    c
}

fn add_user(config: &Path, name: &str, role: &str) {
    let mut child = desk_cmd(config)
        .args(["user", "add", name, "--role", role])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// `hashwall desk` as a child process, killed on drop.
struct DeskProcess {
    child: Child,
    addr: SocketAddr,
}

impl DeskProcess {
    fn start(config: &Path) -> DeskProcess {
        let mut child = desk_cmd(config)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("the desk ended before serving")
                .unwrap();
            if let Some(rest) = line.split_once("serving on http://").map(|(_, r)| r) {
                break rest.split('/').next().unwrap().parse().unwrap();
            }
        };
        // Keep draining its log so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        DeskProcess { child, addr }
    }
}

impl Drop for DeskProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn log_in(b: &Browser, desk: SocketAddr, name: &str) {
    b.clear_cookies().await;
    b.goto(&format!("http://{desk}/login")).await;
    b.type_into("#name", name).await;
    b.type_into("#password", &format!("{PASSWORD}{ENTER}"))
        .await;
    b.wait_for("form[action='/logout']").await;
    assert!(
        !b.url().await.ends_with("/login"),
        "{name} could not log in: {}",
        b.source().await
    );
}

/// Fill in and send the public form with the keyboard only: the URL
/// field has the focus on arrival, Tab moves on, an arrow key picks the
/// category, Enter on the button sends. Returns the report's reference.
async fn report_by_keyboard(b: &Browser, url: &str, category_down: bool, shot: &Path) -> String {
    assert_eq!(b.active_id().await, "urls", "the URL field has the focus");
    b.keys(url).await;
    b.keys(TAB).await;
    assert_eq!(b.active_id().await, "category");
    if category_down {
        b.keys(DOWN).await;
    }
    b.keys(TAB).await;
    assert_eq!(b.active_id().await, "description");
    b.keys("gezien op een forum").await;
    b.keys(TAB).await;
    assert_eq!(b.active_id().await, "email");
    b.keys("melder@example.org").await;
    b.keys(TAB).await;
    assert_eq!(b.active_id().await, "submit");
    b.keys(ENTER).await;
    b.wait_for("#reference").await;
    b.screenshot(shot).await;
    let html = b.source().await;
    let start = html
        .find("id=\"reference\">")
        .expect("a reference on the answer page")
        + 15;
    html[start..start + 22].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_assess_confirm_publish_block_and_count_in_a_browser() {
    let Some((chromium, chromedriver)) = installed() else {
        assert!(
            std::env::var("HASHWALL_REQUIRE_PEERS").as_deref() != Ok("1"),
            "HASHWALL_REQUIRE_PEERS=1 but chromium/chromedriver are missing (apt-get install chromium chromium-driver)"
        );
        eprintln!("skipped: chromium and chromium-driver are not installed");
        return;
    };
    let dir = TempDir::new("desk-browser");
    let data = dir.0.join("data");
    let config = dir.write(
        "desk.toml",
        &format!(
            "[desk]\nlisten = \"127.0.0.1:0\"\ndata_dir = {:?}\nissuer = \"Meldpunt\"\njurisdiction = \"NL\"\nresolve_hosts = false\npublic_stats = true\nintake_per_minute = 100\n",
            data.display().to_string()
        ),
    );
    add_user(&config, "ann", "analyst");
    add_user(&config, "bob", "analyst");
    let desk = DeskProcess::start(&config);
    let shots = screenshots();
    let _ = std::fs::remove_dir_all(&shots);

    // A proxy subscribed to the desk's publication, trusting its key.
    let publisher = Publisher::start(&data.join("publication"));
    let up = upstream().await;
    let listed = format!("http://localhost:{}/abuse/1.html", up.port());
    let proxy_config = base_config(
        &dir,
        &format!(
            "[trust]\nstore = {:?}\n[[list]]\nsubscribe = \"http://{}/desk-csam/\"\ncache = {:?}\npoll_secs = 0.1\ntimeout_secs = 5\n",
            data.join("desk.trust").display().to_string(),
            publisher.addr,
            dir.0.join("desk-csam.hwl").display().to_string(),
        ),
    );
    let proxy = Proxy::start(&proxy_config).await;
    let status =
        |url: String| async move { ProxyConn::open(proxy.addr).await.get(&url).await.unwrap().0 };
    assert_ne!(status(listed.clone()).await, 451, "not listed yet");

    let b = Browser::start(&chromium, &chromedriver).await;
    // The public, in Dutch, by keyboard.
    b.goto(&format!("http://{}/?lang=nl", desk.addr)).await;
    b.screenshot(&shots.join("01-report-form-nl.png")).await;
    assert!(b.source().await.contains("Meld illegale inhoud online"));
    let reference = report_by_keyboard(&b, &listed, false, &shots.join("02-received-nl.png")).await;
    assert!(b.source().await.contains("Dank u, uw melding is ontvangen"));
    b.click("a[href^='/report/']").await;
    b.wait_for_text("data-state=\"received\"").await;
    b.screenshot(&shots.join("03-status-nl.png")).await;
    // And in English: the language switch, then the keyboard.
    b.goto(&format!("http://{}/", desk.addr)).await;
    b.click("a[hreflang='en']").await;
    b.wait_for_text("Report illegal content online").await;
    b.screenshot(&shots.join("04-report-form-en.png")).await;
    let fine = format!("http://localhost:{}/fine/", up.port());
    let other = report_by_keyboard(&b, &fine, true, &shots.join("05-received-en.png")).await;
    assert!(
        b.source()
            .await
            .contains("Thank you, your report was received")
    );
    assert_ne!(reference, other);

    // Ann opens the report from the queue and assesses it illegal (the
    // narrowest entry, the exact URL, is the default).
    log_in(&b, desk.addr, "ann").await;
    b.goto(&format!("http://{}/queue", desk.addr)).await;
    b.screenshot(&shots.join("06-queue.png")).await;
    assert!(b.source().await.contains(&reference));
    b.goto(&format!("http://{}/reports/{reference}", desk.addr))
        .await;
    b.screenshot(&shots.join("07-assess.png")).await;
    let page = b.source().await;
    assert!(
        !page.contains("<img")
            && !page.contains("<iframe")
            && !page.contains(&format!("href=\"{listed}")),
        "reported content is never loaded or linked"
    );
    b.click("#assess").await;
    b.wait_for_text("awaiting_confirmation").await;
    // Ann cannot confirm her own assessment; she logs out with the button.
    let page = b.source().await;
    assert!(
        !page.contains("id=\"confirm\"") && page.contains("another analyst must confirm"),
        "{page}"
    );
    b.click("header form button").await;
    b.wait_for_text("Staff login").await;

    // Bob confirms: listed, signed, published.
    log_in(&b, desk.addr, "bob").await;
    b.goto(&format!("http://{}/reports/{reference}", desk.addr))
        .await;
    b.click("#confirm").await;
    b.wait_for_text("id=\"status\">closed").await;
    b.screenshot(&shots.join("08-confirmed.png")).await;
    let manifest = std::fs::read_to_string(data.join("publication/desk-csam/manifest")).unwrap();
    assert!(manifest.contains("sequence: 1"), "{manifest}");
    let published = std::fs::read_to_string(data.join("publication/desk-csam/list-1.hwl")).unwrap();
    assert!(
        published.contains(&format!("url localhost/abuse/1.html {reference}")),
        "{published}"
    );

    // The subscribed proxy follows within its poll interval.
    eventually("the proxy blocks the confirmed URL", || {
        let url = listed.clone();
        async move { status(url).await == 451 }
    })
    .await;
    assert_ne!(
        status(format!("http://localhost:{}/fine/", up.port())).await,
        451
    );

    // The statistics show the two reports and the listing, as SVG charts.
    b.goto(&format!("http://{}/stats", desk.addr)).await;
    b.screenshot(&shots.join("09-stats.png")).await;
    let stats = b.source().await;
    assert!(stats.contains("<svg"), "{stats}");
    assert!(
        stats.contains("id=\"total-reports\">2<"),
        "both reports counted: {stats}"
    );
    b.goto(&format!("http://{}/public-stats", desk.addr)).await;
    b.screenshot(&shots.join("10-public-stats.png")).await;
    assert!(b.source().await.contains("<svg"));
    b.quit().await;

    // The reporter's address (127.0.0.1 here) is nowhere in the database.
    for f in ["desk.db", "desk.db-wal"] {
        if let Ok(bytes) = std::fs::read(data.join(f)) {
            assert!(
                !bytes.windows(9).any(|w| w == b"127.0.0.1"),
                "{f} holds the reporter's address"
            );
        }
    }
    proxy.stop().await;
    drop(desk);
}
