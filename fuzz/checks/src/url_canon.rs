//! URL canonicalisation: never panics, is idempotent, and `parse_into` on a
//! reused value agrees with a fresh `parse`; the expressions of a canonical
//! URL are those of its re-canonicalised form, distinct, at most 30, the
//! full expression first.

use std::cell::RefCell;

use hashwall::url::{CanonicalUrl, Expression};

thread_local! {
    // Reused across inputs, as the proxy reuses one per worker: stale state
    // from the previous input must never leak into the next result.
    static REUSED: RefCell<CanonicalUrl> = RefCell::new(CanonicalUrl::new());
}

/// Checks the properties above on `data` taken as a URL.
pub fn url_canon(data: &[u8]) {
    let fresh = CanonicalUrl::parse(data);
    REUSED.with(|cell| {
        let mut reused = cell.borrow_mut();
        let r = reused.parse_into(data);
        match &fresh {
            Ok(url) => {
                assert!(r.is_ok(), "parse_into failed where parse succeeded");
                assert_eq!(*reused, *url);
            }
            Err(e) => {
                assert_eq!(r.map_err(|e| e.kind()).err(), Some(e.kind()));
                assert_eq!(reused.as_str(), "");
            }
        }
    });
    let Ok(url) = fresh else { return };

    let again = match CanonicalUrl::parse(url.as_str().as_bytes()) {
        Ok(again) => again,
        Err(e) => panic!("canonical {:?} rejected: {e}", url.as_str()),
    };
    assert_eq!(again.as_str(), url.as_str(), "not idempotent");
    assert_eq!(again.host_is_ip(), url.host_is_ip());
    let first: Vec<Expression<'_>> = url.expressions().collect();
    let second: Vec<Expression<'_>> = again.expressions().collect();
    assert_eq!(first, second);
    assert!(!first.is_empty() && first.len() <= 30);
    for (i, a) in first.iter().enumerate() {
        assert_eq!(a.is_full(), i == 0);
        for b in &first[i + 1..] {
            assert!(a.to_string() != b.to_string(), "duplicate expression {a}");
        }
    }
}
