//! Exchanging lists with other tools and partners: imports from foreign
//! formats, exports for partners and DNS resolvers, and a portable Bloom
//! filter. Every format is specified in `EXCHANGE.md`.
//!
//! This crate does not canonicalise URLs (the engine does, and the engine
//! depends on this crate, not the other way round). The functions that need
//! canonical forms — validating imported URLs, hashing expressions for an
//! export, filling a Bloom filter — take a [`Canonicalize`] implementation;
//! the `hashwall` binary passes the engine's canonicaliser.
//!
//! ```
//! use hashwall_lists::ListMeta;
//! use hashwall_lists::exchange::{ImportFormat, ImportOptions, import};
//!
//! let hosts = b"# a hosts file\n127.0.0.1 localhost\n0.0.0.0 bad.example other.example # two\n";
//! let opts = ImportOptions::new(ImportFormat::Hosts);
//! let got = import(hosts, ListMeta::with_defaults("hosts"), &opts)?;
//! assert_eq!(got.list.entries.len(), 2);
//! assert_eq!(got.list.entries[0].value, "bad.example");
//! assert_eq!(got.ignored, 1); // localhost
//! # Ok::<(), hashwall_lists::Error>(())
//! ```

mod bloom;
mod export;
mod import;

pub use bloom::{
    BLOOM_FLAG_SIGNED, BLOOM_HEADER_LEN, BLOOM_MAGIC, BLOOM_SIGNATURE_DOMAIN, BLOOM_VERSION,
    BloomFilter, BloomSignature, BloomTag, MAX_BLOOM_BITS, MAX_BLOOM_HASHES, MAX_BLOOM_ISSUER_LEN,
};
pub use export::{
    BloomExport, ExportSource, HashedExport, RpzExport, bloom_export, hashed_export, rpz_export,
    sha256_hex,
};
pub use import::{ImportFormat, ImportOptions, Imported, MAX_KEPT_REJECTIONS, import, import_file};

/// Brings list values into the engine's canonical form.
///
/// Implemented by the `hashwall` binary over `hashwall::url`; a test may
/// implement it with anything deterministic. Errors are plain messages,
/// which the caller wraps with the file and line.
pub trait Canonicalize {
    /// The canonical Safe Browsing expression (`host/path[?query]`, no
    /// scheme) of a `url` or `url-prefix` value: what the engine stores for
    /// the entry and what a URL's expressions are compared with.
    fn expression(&self, value: &str) -> Result<String, String>;

    /// The canonical host of a `domain` value (lower case, punycode, IP
    /// addresses in dotted decimal).
    fn host(&self, value: &str) -> Result<String, String>;
}

/// The 1-based line number of every entry of a list file in the text format,
/// in entry order: `entry_lines(bytes)[i]` is the line of `list.entries[i]`
/// for the list parsed from the same bytes. Lint and other tools use it to
/// point at a line, since [`List`](crate::List) does not keep line numbers.
///
/// Follows the parser's rules: blank lines and `#` lines (after leading
/// blanks) are not entries.
pub fn entry_lines(bytes: &[u8]) -> Vec<usize> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, line)| {
            let start = line
                .iter()
                .position(|&b| b != b' ' && b != b'\t')
                .unwrap_or(line.len());
            let rest = &line[start..];
            let rest = rest.strip_suffix(b"\r").unwrap_or(rest);
            !rest.is_empty() && rest[0] != b'#'
        })
        .map(|(i, _)| i + 1)
        .collect()
}
