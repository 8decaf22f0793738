//! `hashwall lists bloom-check`: URLs and files tested against a Bloom
//! filter, as the engine would look them up.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use hashwall::url::CanonicalUrl;
use hashwall_lists::exchange::{BloomFilter, BloomTag};
use hashwall_lists::{ErrorKind, TrustStore};

use super::{fail, now};

/// `hashwall lists bloom-check`
#[derive(Debug, Args)]
pub struct BloomCheckArgs {
    /// The Bloom filter file.
    pub filter: PathBuf,
    /// Trust store to verify the filter's signature against.
    #[arg(long, value_name = "FILE")]
    pub trust: Option<PathBuf>,
    /// Accept an unsigned filter (files from before signing, or local ones).
    #[arg(long)]
    pub allow_unsigned: bool,
    /// URLs and files to test. An argument naming an existing file is a
    /// file (its MD5, SHA-1 and SHA-256 are tested); anything else is a URL
    /// (canonicalised; its expressions and domains are tested as the engine
    /// looks them up).
    #[arg(required = true, value_name = "URL|FILE")]
    pub inputs: Vec<String>,
}

/// Whether a canonical URL may be in the filter, probing as the engine
/// does: the full expression against `url` items, every expression against
/// `url-prefix` items and (hashed) `url-sha256` items, the host and every
/// parent domain against `domain` items.
pub fn bloom_url_maybe(filter: &BloomFilter, url: &CanonicalUrl) -> bool {
    let mut buf = String::new();
    for (i, e) in url.expressions().enumerate() {
        buf.clear();
        e.write_to(&mut buf);
        if i == 0 && filter.contains(BloomTag::UrlExact, buf.as_bytes()) {
            return true;
        }
        if filter.contains(BloomTag::UrlPrefix, buf.as_bytes()) {
            return true;
        }
        let digest: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(buf.as_bytes()).into();
        if filter.contains(BloomTag::UrlSha256, &digest) {
            return true;
        }
    }
    url.domain_suffixes()
        .any(|d| filter.contains(BloomTag::Domain, d.as_bytes()))
}

/// Whether a file may be in the filter (its MD5, SHA-1 or SHA-256). The
/// file is hashed in 64 KiB chunks, so a multi-gigabyte video costs no more
/// memory than a thumbnail.
pub fn bloom_file_maybe(filter: &BloomFilter, file: &mut impl io::Read) -> io::Result<bool> {
    use sha2::Digest as _;
    let (mut md5, mut sha1, mut sha256) = (md5::Md5::new(), sha1::Sha1::new(), sha2::Sha256::new());
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = &buf[..n];
        md5.update(chunk);
        sha1.update(chunk);
        sha256.update(chunk);
    }
    let md5: [u8; 16] = md5.finalize().into();
    let sha1: [u8; 20] = sha1.finalize().into();
    let sha256: [u8; 32] = sha256.finalize().into();
    Ok(filter.contains(BloomTag::Md5, &md5)
        || filter.contains(BloomTag::Sha1, &sha1)
        || filter.contains(BloomTag::Sha256, &sha256))
}

/// A signed filter must verify against `--trust`; an unsigned one needs
/// `--allow-unsigned`.
fn check_bloom_signature(filter: &BloomFilter, a: &BloomCheckArgs) -> Result<(), String> {
    if filter.signature().is_none() && a.allow_unsigned {
        return Ok(());
    }
    let trust = match &a.trust {
        Some(p) => TrustStore::load(p).map_err(|e| e.to_string())?,
        None if filter.signature().is_some() => {
            return Err("the filter is signed: pass --trust to verify it".to_owned());
        }
        None => TrustStore::new(),
    };
    let v = filter.verify(&trust, now()?).map_err(|e| match e.kind() {
        ErrorKind::Unsigned => format!("{e} (pass --allow-unsigned to accept it)"),
        _ => e.to_string(),
    })?;
    eprintln!("filter signed by {:?} with key {}", v.issuer, v.key_id);
    Ok(())
}

/// Runs `lists bloom-check`: prints `maybe<TAB>input` or `no<TAB>input` per
/// input (`error<TAB>input<TAB>reason` when it cannot be tested). Exit status
/// 2 if the filter or an input could not be read, else 1 if any is `maybe`,
/// else 0.
pub fn run_bloom_check(a: &BloomCheckArgs) -> ExitCode {
    let filter = match BloomFilter::read_file(&a.filter) {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    if let Err(e) = check_bloom_signature(&filter, a) {
        return fail(format!("{}: {e}", a.filter.display()));
    }
    let mut out = io::BufWriter::new(io::stdout().lock());
    let (mut any_maybe, mut failed) = (false, false);
    for input in &a.inputs {
        let path = Path::new(input);
        let verdict = if path.is_file() {
            std::fs::File::open(path)
                .and_then(|mut f| bloom_file_maybe(&filter, &mut f))
                .map_err(|e| e.to_string())
        } else {
            CanonicalUrl::parse(input.as_bytes())
                .map(|u| bloom_url_maybe(&filter, &u))
                .map_err(|e| e.to_string())
        };
        let _ = match verdict {
            Ok(true) => {
                any_maybe = true;
                writeln!(out, "maybe\t{input}")
            }
            Ok(false) => writeln!(out, "no\t{input}"),
            Err(e) => {
                failed = true;
                writeln!(out, "error\t{input}\t{e}")
            }
        };
    }
    let _ = out.flush();
    if failed {
        ExitCode::from(2)
    } else if any_maybe {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Files are hashed in chunks: the digests equal one-shot ones across
    /// chunk boundaries.
    #[test]
    fn file_hashing_streams() {
        use sha2::Digest as _;
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        for tag in [BloomTag::Md5, BloomTag::Sha1, BloomTag::Sha256] {
            let mut f = BloomFilter::with_rate(1, 1e-9).expect("rate");
            let digest: Vec<u8> = match tag {
                BloomTag::Md5 => md5::Md5::digest(&data).to_vec(),
                BloomTag::Sha1 => sha1::Sha1::digest(&data).to_vec(),
                _ => sha2::Sha256::digest(&data).to_vec(),
            };
            f.insert(tag, &digest);
            assert!(
                bloom_file_maybe(&f, &mut &data[..]).expect("reads"),
                "{tag:?}"
            );
            assert!(
                !bloom_file_maybe(&f, &mut &data[1..]).expect("reads"),
                "{tag:?}"
            );
        }
    }

    /// The per-URL false-positive rate of `bloom-check`: each URL makes one
    /// probe per expression (10 here) for the one tag present, so it should
    /// come out near 10 × the per-probe rate.
    #[test]
    fn per_url_false_positive_rate() {
        const MEMBERS: u64 = 10_000;
        // 100 000 in a release build measured 0.00961 (EXCHANGE.md); 20 000
        // keeps the debug-build test suite quick (SHA-256 per probe).
        const PROBES: usize = 20_000;
        let p = 0.001;
        let mut f = BloomFilter::with_rate(MEMBERS, p).expect("rate");
        for i in 0..MEMBERS {
            f.insert(
                BloomTag::UrlPrefix,
                format!("member-{i}.example/path/").as_bytes(),
            );
        }
        let mut url = CanonicalUrl::new();
        let mut fps = 0;
        for i in 0..PROBES {
            url.parse_into(format!("http://www.other-{i}.example/a/b/c.html?q=1").as_bytes())
                .expect("parses");
            assert_eq!(url.expressions().count(), 10);
            if bloom_url_maybe(&f, &url) {
                fps += 1;
            }
        }
        let rate = fps as f64 / PROBES as f64;
        println!("per-URL false positives at p = {p}, 10 probes: {rate:.5} ({fps}/{PROBES})");
        assert!(rate < 10.0 * p * 1.3, "{rate}");
        assert!(rate > 10.0 * p / 2.0, "{rate}");
        // Members are always found.
        url.parse_into(b"http://x.member-7.example/path/deeper/1.jpg")
            .expect("parses");
        assert!(bloom_url_maybe(&f, &url));
    }
}
