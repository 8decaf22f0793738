//! IP address → country, from the tables Debian's `tor-geoipdb` ships
//! (`/usr/share/tor/geoip`: `FIRST,LAST,CC` with IPv4 addresses as
//! integers; `/usr/share/tor/geoip6`: the same with IPv6 addresses).
//! Sorted ranges, binary search; `??` (unknown) ranges are dropped.

use std::net::{IpAddr, Ipv6Addr};
use std::path::Path;

use crate::error::{Error, ErrorKind, Result};

/// A country code as the tables give it (ISO 3166-1 alpha-2, upper case).
pub type Country = [u8; 2];

/// Both tables, loaded.
#[derive(Debug, Default, Clone)]
pub struct GeoIp {
    v4: Vec<(u32, u32, Country)>,
    v6: Vec<(u128, u128, Country)>,
}

fn country(code: &str) -> Option<Country> {
    let b = code.as_bytes();
    (b.len() == 2 && b.iter().all(u8::is_ascii_uppercase)).then(|| [b[0], b[1]])
}

fn bad(path: &Path, line: usize, what: &str) -> Error {
    Error::new(
        ErrorKind::Config,
        format!("{}: line {line}: {what}", path.display()),
    )
}

fn read_table<T: Ord + Copy>(
    path: &Path,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<(T, T, Country)>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::new(
            ErrorKind::Config,
            format!(
                "cannot read the IP-to-country table {}: {e}",
                path.display()
            ),
        )
    })?;
    let mut ranges = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split(',');
        let (Some(first), Some(last), Some(cc), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad(path, i + 1, "expected FIRST,LAST,COUNTRY"));
        };
        let (Some(first), Some(last)) = (parse(first), parse(last)) else {
            return Err(bad(path, i + 1, "bad address"));
        };
        if last < first {
            return Err(bad(path, i + 1, "range ends before it starts"));
        }
        if let Some(cc) = country(cc) {
            ranges.push((first, last, cc));
        }
    }
    ranges.sort_unstable_by_key(|r| r.0);
    Ok(ranges)
}

fn find<T: Ord + Copy>(ranges: &[(T, T, Country)], ip: T) -> Option<Country> {
    let i = ranges.partition_point(|r| r.0 <= ip);
    let r = ranges.get(i.checked_sub(1)?)?;
    (ip <= r.1).then_some(r.2)
}

impl GeoIp {
    /// Load the IPv4 table and, if given, the IPv6 one.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] naming the file and line that cannot be read.
    pub fn load(v4: &Path, v6: Option<&Path>) -> Result<GeoIp> {
        Ok(GeoIp {
            v4: read_table(v4, |s| s.parse::<u32>().ok())?,
            v6: match v6 {
                Some(p) => read_table(p, |s| s.parse::<Ipv6Addr>().ok().map(u128::from))?,
                None => Vec::new(),
            },
        })
    }

    /// The country of `ip`, if a table covers it.
    pub fn country(&self, ip: IpAddr) -> Option<Country> {
        match ip {
            IpAddr::V4(a) => find(&self.v4, u32::from(a)),
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => find(&self.v4, u32::from(v4)),
                None => find(&self.v6, u128::from(a)),
            },
        }
    }

    /// How many ranges are loaded (IPv4, IPv6).
    pub fn len(&self) -> (usize, usize) {
        (self.v4.len(), self.v6.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_up_ranges_and_skips_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let v4 = dir.path().join("geoip");
        std::fs::write(
            &v4,
            "# comment\n16777472,16778239,CN\n16777216,16777471,AU\n16778240,16778495,??\n",
        )
        .unwrap();
        let v6 = dir.path().join("geoip6");
        std::fs::write(&v6, "2001:2::,2001:2:0:ffff:ffff:ffff:ffff:ffff,JP\n").unwrap();
        let g = GeoIp::load(&v4, Some(&v6)).unwrap();
        assert_eq!(g.country("1.0.0.1".parse().unwrap()), Some(*b"AU"));
        assert_eq!(g.country("1.0.1.0".parse().unwrap()), Some(*b"CN"));
        assert_eq!(g.country("1.0.4.1".parse().unwrap()), None);
        assert_eq!(g.country("0.0.0.1".parse().unwrap()), None);
        assert_eq!(g.country("2001:2::5".parse().unwrap()), Some(*b"JP"));
        assert_eq!(g.country("::ffff:1.0.0.9".parse().unwrap()), Some(*b"AU"));
        std::fs::write(&v4, "1,2\n").unwrap();
        let e = GeoIp::load(&v4, None).unwrap_err();
        assert!(e.to_string().contains("line 1"), "{e}");
    }

    #[test]
    fn reads_debians_table_when_installed() {
        let path = Path::new("/usr/share/tor/geoip");
        if !path.exists() {
            eprintln!("skipped: tor-geoipdb is not installed");
            return;
        }
        let g = GeoIp::load(path, Some(Path::new("/usr/share/tor/geoip6"))).unwrap();
        assert!(g.len().0 > 100_000, "{:?}", g.len());
        // 1.0.0.0/24 is APNIC's research block in Australia.
        assert_eq!(g.country("1.0.0.1".parse().unwrap()), Some(*b"AU"));
    }
}
