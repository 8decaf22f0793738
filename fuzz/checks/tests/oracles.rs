//! The checks are not vacuous: the inputs they are seeded with reach the
//! interesting outcomes (a delta applies, a URL is blocked, an image
//! decodes), so replaying them exercises the properties, not only the
//! error paths.

use hashwall::image::{HashOptions, hash_image};
use hashwall_fuzz_checks::list_parse::{NOW, seeds};
use hashwall_fuzz_checks::proxy_request::{LISTENER, snapshot};
use hashwall_proxy::serve::config::{Config, FailMode};
use hashwall_proxy::serve::phases::names_listener;
use hashwall_proxy::serve::route::{Decision, decide_url, route};
use hyper::{HeaderMap, Method, Uri};

#[test]
fn seed_delta_applies_to_the_next_signed_list() {
    let s = seeds();
    let mut list = s.lists[0].clone();
    let applied = s.deltas[0].apply_to(&mut list, &s.trust, NOW);
    assert!(applied.is_ok(), "{applied:?}");
    assert_eq!(list, s.lists[1]);
    let mut list = s.lists[1].clone();
    assert!(s.deltas[1].apply_to(&mut list, &s.trust, NOW).is_ok());
    assert_eq!(list, s.lists[2]);
}

#[test]
fn seed_lists_verify_and_a_changed_one_does_not() {
    let text = seeds().lists[0].to_text();
    let list = hashwall_lists::List::from_text(text.as_bytes(), "x").expect("parses");
    assert!(list.verify(&seeds().trust, NOW).is_ok());
    hashwall_fuzz_checks::list_parse(text.as_bytes());
    let forged = text.replace("banned/", "banned2/");
    let list = hashwall_lists::List::from_text(forged.as_bytes(), "x").expect("parses");
    assert!(list.verify(&seeds().trust, NOW).is_err());
    hashwall_fuzz_checks::list_parse(forged.as_bytes());
}

fn decision(config: &Config, method: Method, target: &str) -> Option<Decision> {
    let uri: Uri = target.parse().ok()?;
    let t = route(config, &method, &uri, &HeaderMap::new(), |h, p| {
        names_listener(h, p, LISTENER)
    })
    .ok()?;
    Some(decide_url(snapshot(), &t.url(), FailMode::Closed))
}

#[test]
fn blocked_targets_are_blocked_in_every_form() {
    let config = Config::default_config();
    for (m, t) in [
        (Method::GET, "http://blocked.example/x"),
        (Method::GET, "http://WWW.Blocked.Example./"),
        (Method::GET, "http://gallery.example/%62anned/a.jpg"),
        (Method::GET, "http://user@gallery.example/banned/"),
        (Method::GET, "http://3221225991/"),
        (Method::CONNECT, "blocked.example:443"),
    ] {
        let d = decision(&config, m.clone(), t);
        assert!(matches!(d, Some(Decision::Block(_))), "{m} {t}: {d:?}");
    }
    let d = decision(&config, Method::GET, "http://www.example.org/");
    assert!(
        matches!(d, Some(Decision::Pass(ref v)) if v.is_empty()),
        "{d:?}"
    );
}

#[test]
fn image_seeds_decode() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/image_hash");
    let mut ok = 0;
    for f in std::fs::read_dir(&dir).expect("corpus") {
        let bytes = std::fs::read(f.expect("entry").path()).expect("read");
        if hash_image(&bytes, &HashOptions::new()).is_ok() {
            ok += 1;
        }
    }
    // One complete image per format at least (PNG, JPEG, GIF, WebP, BMP, TIFF).
    assert!(ok >= 6, "only {ok} image seeds decode");
}
