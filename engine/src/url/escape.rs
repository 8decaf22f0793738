//! Percent-unescaping to a fixpoint in one pass, and re-escaping.
//!
//! Safe Browsing asks for "unescape repeatedly until nothing changes". Done
//! literally that is quadratic on hostile input such as `%25252525…` (each
//! pass peels one layer), so [`unescape_into`] reaches the same fixpoint in a
//! single left-to-right pass: escapes cannot overlap, so the only new escape a
//! decoded byte can create is one ending at that byte, which is found by
//! re-checking the tail of the output after every push.

/// Which bytes a component escapes on output, besides the ones Safe Browsing
/// always escapes (`<= 0x20`, `>= 0x7F`, `#`, `%`).
#[derive(Clone, Copy)]
pub(crate) enum EscapeSet {
    /// Path and query: only the Safe Browsing set. A path holds no `?` and
    /// no `\` by construction (the first `?` starts the query, a `\` is a
    /// segment separator).
    Plain,
    /// The host: also the bytes that delimit the authority (`/ ? @ : [ ] \`).
    /// None of them reaches a host today (the split and the host rules
    /// reject them); escaped, they could never change a URL's structure.
    Host,
}

const fn table(extra: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = b <= 0x20 || b >= 0x7F || b == b'#' as usize || b == b'%' as usize;
        b += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] = true;
        i += 1;
    }
    t
}

static PLAIN: [bool; 256] = table(b"");
static HOST: [bool; 256] = table(b"/?@:[]\\");

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

#[inline]
pub(crate) fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Appends `input`, percent-unescaped until no escape remains, to `out`.
/// Bytes already in `out` are never touched.
pub(crate) fn unescape_into(input: &[u8], out: &mut Vec<u8>) {
    let Some(first) = input.iter().position(|&b| b == b'%') else {
        out.extend_from_slice(input);
        return;
    };
    let start = out.len();
    out.extend_from_slice(&input[..first]);
    for &b in &input[first..] {
        out.push(b);
        // A decoded byte may itself complete an escape started before it
        // (`%%34%31` -> `%41` -> `A`), hence the loop.
        loop {
            let n = out.len();
            if n < start + 3 || out[n - 3] != b'%' {
                break;
            }
            match (hex_val(out[n - 2]), hex_val(out[n - 1])) {
                (Some(hi), Some(lo)) => {
                    out.truncate(n - 3);
                    out.push(hi << 4 | lo);
                }
                _ => break,
            }
        }
    }
}

impl EscapeSet {
    /// Which bytes this set escapes.
    fn table(self) -> &'static [bool; 256] {
        match self {
            EscapeSet::Plain => &PLAIN,
            EscapeSet::Host => &HOST,
        }
    }
}

/// Whether some byte of `input` is escaped under `set`. Without a branch
/// per byte, so the common input that needs no escape is found out in one
/// quick pass and copied whole.
#[inline]
pub(crate) fn needs_escape(input: &[u8], set: EscapeSet) -> bool {
    let table = set.table();
    input
        .iter()
        .fold(false, |any, &b| any | table[usize::from(b)])
}

/// Appends `input` to `out`, escaping the bytes of `set` as `%XX`
/// (upper-case hex). What is appended is always ASCII.
pub(crate) fn escape_into(input: &[u8], set: EscapeSet, out: &mut Vec<u8>) {
    if !needs_escape(input, set) {
        out.extend_from_slice(input);
        return;
    }
    let table = set.table();
    let mut run = 0;
    for (i, &b) in input.iter().enumerate() {
        if table[usize::from(b)] {
            out.extend_from_slice(&input[run..i]);
            out.extend_from_slice(&[
                b'%',
                HEX_UPPER[usize::from(b >> 4)],
                HEX_UPPER[usize::from(b & 0xF)],
            ]);
            run = i + 1;
        }
    }
    // Every byte >= 0x7F is in the table, so what is copied is ASCII.
    out.extend_from_slice(&input[run..]);
}

#[cfg(test)]
mod tests {
    use super::super::every_string::every_string;
    use super::*;

    fn unescape(s: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        unescape_into(s, &mut v);
        v
    }

    /// The literal definition: full passes until nothing changes.
    fn unescape_by_passes(s: &[u8]) -> Vec<u8> {
        let mut cur = s.to_vec();
        loop {
            let mut next = Vec::with_capacity(cur.len());
            let mut i = 0;
            while i < cur.len() {
                if cur[i] == b'%'
                    && i + 2 < cur.len()
                    && let (Some(h), Some(l)) = (hex_val(cur[i + 1]), hex_val(cur[i + 2]))
                {
                    next.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                next.push(cur[i]);
                i += 1;
            }
            if next == cur {
                return cur;
            }
            cur = next;
        }
    }

    #[test]
    fn unescapes_to_fixpoint() {
        assert_eq!(unescape(b"%25%32%35"), b"%");
        assert_eq!(unescape(b"%2525252525252525"), b"%");
        assert_eq!(unescape(b"%%%25%32%35asd%%"), b"%%%asd%%");
        assert_eq!(unescape(b"%%34%31"), b"A");
        assert_eq!(unescape(b"abc"), b"abc");
        assert_eq!(unescape(b"%4"), b"%4");
        assert_eq!(unescape(b"%zz%"), b"%zz%");
    }

    #[test]
    fn single_pass_matches_repeated_passes() {
        // Every string of length <= 6 over an escape-heavy alphabet.
        every_string(b"%2534aF5", 0..=6, |s| {
            assert_eq!(unescape(s), unescape_by_passes(s), "{s:?}");
        });
    }

    #[test]
    fn hostile_nesting_is_linear() {
        let mut s = b"%".to_vec();
        s.extend(std::iter::repeat_n(b"25".as_slice(), 200_000).flatten());
        let t = std::time::Instant::now();
        assert_eq!(unescape(&s), b"%25"[..1].to_vec());
        assert!(t.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn preserves_existing_output() {
        let mut v = b"%2".to_vec();
        unescape_into(b"5", &mut v);
        assert_eq!(v, b"%25");
    }

    fn escape(input: &[u8], set: EscapeSet) -> String {
        let mut v = Vec::new();
        escape_into(input, set, &mut v);
        String::from_utf8(v).expect("ASCII")
    }

    #[test]
    fn needs_escape_agrees_with_the_tables() {
        for b in 0..=255u8 {
            for (set, table) in [(EscapeSet::Plain, &PLAIN), (EscapeSet::Host, &HOST)] {
                assert_eq!(needs_escape(&[b], set), table[usize::from(b)], "{b:#x}");
                assert_eq!(needs_escape(&[b'a', b, b'z'], set), table[usize::from(b)]);
            }
        }
        assert!(!needs_escape(b"", EscapeSet::Host));
    }

    #[test]
    fn escapes_per_component() {
        assert_eq!(
            escape(b"a b#%?/\\\x80\x7f", EscapeSet::Plain),
            "a%20b%23%25?/\\%80%7F"
        );
        assert_eq!(
            escape(b"a/b?c@d:e[f]", EscapeSet::Host),
            "a%2Fb%3Fc%40d%3Ae%5Bf%5D"
        );
    }
}
