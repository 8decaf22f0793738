//! Paths an origin serves as a listed resource though Safe Browsing spells
//! them differently (issue 18), end to end on a real proxy in a
//! loopback-only network namespace (`tests/netns`): a query after a `url`
//! entry, `;` path parameters and `..;` segments, and letter case for a list
//! configured `path_case = "insensitive"`. Each class is a table of
//! spellings, with near misses that must still reach the origin.
#![allow(clippy::unwrap_used)]

mod netns;
mod serve_support;

use netns::origin::Origin;
use netns::table::*;
use serve_support::*;

/// Listed on `other.test` (192.0.2.11), case-sensitive.
const SENSITIVE: &str = "\
# issuer: Netns Police
# category: csam
url http://other.test/abuse/image-0001.jpg P-URL
url http://other.test/view.php?id=7 P-URL-QUERY
url-prefix other.test/banned/ P-PREFIX
";

/// Listed on `other.test`, loaded with `path_case = \"insensitive\"`.
const INSENSITIVE: &str = "\
# issuer: Netns Hotline
# category: csam
url-prefix other.test/Private/ P-FOLD
url http://other.test/share/Clip.MP4 P-FOLD-URL
";

fn rows(p: u16) -> Vec<Row> {
    use Mode::*;
    let blocked = [
        // A `url` entry without a query, fetched with one.
        "/abuse/image-0001.jpg?x=1",
        "/abuse/image-0001.jpg?",
        "/abuse/image-0001.jpg?a=1&b=2",
        "/abuse/image-0001.jpg?%78=%31",
        "/abuse/./image-0001.jpg?cb=123",
        // Path parameters and `..;`.
        "/abuse/image-0001.jpg;jsessionid=1",
        "/abuse;x/image-0001.jpg",
        "/abuse;x=1;y=2/image-0001.jpg;z?q=1",
        "/other/..;/abuse/image-0001.jpg",
        "/banned;v=2/a.jpg",
        "/x/..;/banned/a.jpg",
        "/banned/a.jpg;",
        // Letter case, for the case-insensitive list.
        "/PRIVATE/a.jpg",
        "/private/a.jpg",
        "/PrIvAtE;x/a.jpg",
        "/share/clip.mp4",
        "/SHARE/CLIP.MP4?dl=1",
        // Still exact where it must be.
        "/view.php?id=7",
    ];
    let passed = [
        "/abuse/image-0002.jpg?x=1",
        "/abuse/image-0001.jpgx",
        "/view.php?id=8",
        "/view.php",
        // The case-sensitive list keeps its case.
        "/BANNED/a.jpg",
        "/Abuse/image-0001.jpg",
        "/bannedx;/a.jpg",
        "/privatex/a.jpg",
        "/public/a.jpg",
    ];
    let mut rows = vec![];
    for (paths, want) in [(&blocked[..], 451), (&passed[..], 200)] {
        for path in paths {
            let url = format!("http://other.test:{p}{path}");
            rows.push(row(format!("GET {url}"), Forward, get(&url), want));
            rows.push(row(
                format!("Host: other.test {path}"),
                Transparent,
                host(&format!("other.test:{p}"), path),
                want,
            ));
        }
    }
    rows
}

#[test]
fn origin_readings_of_a_listed_path_are_blocked() {
    netns::run(
        "origin_readings_of_a_listed_path_are_blocked",
        &SETUP,
        || async {
            let origin = Origin::start(0).await;
            let dir = TempDir::new("paths");
            let sensitive = dir.write("sensitive.list", SENSITIVE);
            let insensitive = dir.write("insensitive.list", INSENSITIVE);
            let config = format!(
                "[acl]\nallow_destinations = [\"192.0.2.0/24\"]\n\
                 [[list]]\npath = {:?}\nallow_unsigned = true\n\
                 [[list]]\npath = {:?}\nallow_unsigned = true\npath_case = \"insensitive\"\n",
                sensitive.display().to_string(),
                insensitive.display().to_string()
            );
            let (forward, transparent) = proxies(&dir, &config).await;
            run_rows(&rows(origin.port), &forward, &transparent, &origin).await;
            forward.stop().await;
            transparent.stop().await;
        },
    );
}
