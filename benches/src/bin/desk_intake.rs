//! The desk's intake rate: reports per second through `Desk::submit`
//! (validation, canonicalisation, the already-listed check against the
//! served lists, duplicate linking, the insert and its audit line), into
//! SQLite and PostgreSQL, measured in rounds that alternate the two so
//! both see the same machine load. Run by `benches/desk_intake.sh`.
//!
//! usage: desk_intake REPORTS ROUNDS CONCURRENCY [POSTGRES_URL]

use std::time::Instant;

use hashwall_desk::model::{Category, NewReport, Source};
use hashwall_desk::{Desk, DeskConfig};

fn arg(n: usize, default: usize) -> usize {
    std::env::args()
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

async fn round(desk: &Desk, round: usize, reports: usize, concurrency: usize) -> f64 {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let desk = desk.clone();
        tasks.push(tokio::spawn(async move {
            for i in (worker..reports).step_by(concurrency) {
                let report = NewReport {
                    urls: vec![
                        format!("http://host{}.example/r{round}/gallery/{i}.html", i % 97),
                        format!("http://cdn{}.example/r{round}/img/{i}.jpg", i % 13),
                    ],
                    category: Category::Csam,
                    description: "found while searching".into(),
                    email: None,
                    source: Source::Public,
                };
                if let Err(e) = desk.submit(report).await {
                    eprintln!("submit failed: {e}");
                    std::process::exit(1);
                }
            }
        }));
    }
    for t in tasks {
        if t.await.is_err() {
            std::process::exit(1);
        }
    }
    reports as f64 / start.elapsed().as_secs_f64()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let (reports, rounds, concurrency) = (arg(1, 2000), arg(2, 5), arg(3, 8).max(1));
    let postgres = std::env::args().nth(4).filter(|s| !s.is_empty());
    let Ok(dir) = tempfile::tempdir() else {
        eprintln!("no temporary directory");
        std::process::exit(1);
    };
    // A served list of 10 000 entries, so the already-listed check does
    // real work.
    let served = dir.path().join("served.hwl");
    let mut text = String::from("# issuer: IWF\n# id: iwf\n");
    for i in 0..10_000 {
        text.push_str(&format!("url-prefix listed{i}.example/ IWF-{i}\n"));
    }
    if std::fs::write(&served, text).is_err() {
        std::process::exit(1);
    }
    let mut backends = vec![("sqlite", String::new())];
    if let Some(url) = postgres {
        backends.push(("postgres", url));
    }
    let mut desks = Vec::new();
    for (name, url) in &backends {
        let config = DeskConfig {
            data_dir: dir.path().join(name),
            database: url.clone(),
            lists: vec![served.clone()],
            allow_unsigned: true,
            resolve_hosts: false,
            ..DeskConfig::default()
        };
        match Desk::open(&config).await {
            Ok(d) => desks.push((*name, d, Vec::new())),
            Err(e) => {
                eprintln!("{name}: {e}");
                std::process::exit(1);
            }
        }
    }
    println!("reports per round: {reports}, concurrency {concurrency}, {rounds} rounds");
    for r in 0..rounds {
        for (name, desk, rates) in &mut desks {
            let rate = round(desk, r, reports, concurrency).await;
            println!("round {r} {name:8} {rate:8.0} reports/s");
            rates.push(rate);
        }
    }
    for (name, _, rates) in desks {
        println!("median {name:8} {:8.0} reports/s", median(rates));
    }
}
