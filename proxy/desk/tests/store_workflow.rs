#![allow(clippy::unwrap_used)]
//! The desk's workflow end to end through [`Desk`], every case on SQLite
//! and on PostgreSQL: intake, duplicates, already-listed, four eyes,
//! listing and publication (checked by a subscriber's verified load),
//! disputes, locks, logins, statistics, retention, restart.

mod support;

use std::path::Path;

use hashwall::lists::{List, LoadOptions, Loader, TrustStore};
use hashwall::{Action, ListConfig, Snapshot};
use hashwall_desk::model::{
    Category, Decision, ListedKind, NewReport, Outcome, Source, Status, TakedownEvent, User,
};
use hashwall_desk::stats::{Period, StatsQuery};
use hashwall_desk::{Desk, DeskConfig, ErrorKind};

fn report(urls: &[&str]) -> NewReport {
    NewReport {
        urls: urls.iter().map(|u| (*u).to_owned()).collect(),
        category: Category::Csam,
        description: "seen on a forum".into(),
        email: Some("reporter@example.org".into()),
        source: Source::Public,
    }
}

fn illegal(value: &str) -> Decision {
    Decision::Illegal {
        category: Category::Csam,
        kind: ListedKind::Url,
        value: value.into(),
    }
}

async fn staff(desk: &Desk, token: &str) -> User {
    desk.user_by_token(token).await.expect("token")
}

/// Load the desk's published list as a subscriber would: verified against
/// the desk's trust file, compiled into an engine snapshot.
fn subscriber_snapshot(config: &DeskConfig, list_id: &str, sequence: u64) -> Snapshot {
    let trust = TrustStore::load(&config.data_dir.join("desk.trust")).expect("desk.trust");
    let path = config
        .data_dir
        .join("publication")
        .join(list_id)
        .join(format!("list-{sequence}.hwl"));
    let loaded = Loader::new(trust, LoadOptions::default())
        .load(&path)
        .expect("verified list");
    Snapshot::builder()
        .add_list(&loaded.list, &ListConfig::default())
        .expect("compile")
        .build()
}

async fn each_backend<F, Fut>(case: F)
where
    F: Fn(DeskConfig) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for (name, url) in support::backends().await {
        eprintln!("--- {name}");
        let dir = tempfile::tempdir().expect("tempdir");
        case(support::config(dir.path(), &url)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_canonicalises_links_duplicates_and_checks_served_lists() {
    each_backend(|mut config| async move {
        let served = config.data_dir.with_file_name("served.hwl");
        std::fs::create_dir_all(served.parent().unwrap()).unwrap();
        std::fs::write(
            &served,
            "# issuer: IWF\n# id: iwf\nurl-prefix known.example/gallery/ IWF-77\n",
        )
        .unwrap();
        config.lists = vec![served];
        config.allow_unsigned = true;
        let (desk, _) = support::desk_with_staff(&config).await;
        let first = desk
            .submit(report(&[
                "HTTP://Known.EXAMPLE/gallery/../gallery/1.jpg",
                "http://new.example/a",
                "http://new.example/a#again",
            ]))
            .await
            .unwrap();
        assert_eq!(first.status, Status::Received);
        assert!(first.duplicates.is_empty());
        assert_eq!(first.already_listed.len(), 1, "{:?}", first.already_listed);
        let listed = &first.already_listed[0];
        assert_eq!(
            (
                listed.url.as_str(),
                listed.list.as_str(),
                listed.reference.as_deref()
            ),
            ("http://known.example/gallery/1.jpg", "iwf", Some("IWF-77"))
        );
        let stored = desk.report(&first.reference).await.unwrap();
        assert_eq!(stored.urls.len(), 2, "the repeated URL is stored once");
        assert_eq!(stored.urls[1].canonical, "http://new.example/a");
        // The same URL again: linked, counted, not queued twice.
        let again = desk
            .submit(report(&["http://NEW.example/a"]))
            .await
            .unwrap();
        assert_eq!(again.status, Status::Closed);
        assert_eq!(again.duplicates.len(), 1);
        assert_eq!(again.duplicates[0].reference, first.reference);
        assert_eq!(
            desk.report(&first.reference).await.unwrap().duplicate_count,
            1
        );
        let queue = desk.queue().await.unwrap();
        assert_eq!(queue.len(), 1);
        assert_eq!(queue[0].reference, first.reference);
        assert_eq!(
            desk.public_status(&again.reference)
                .await
                .unwrap()
                .public_state(),
            "closed"
        );
        // Bad input: typed errors, nothing stored.
        for bad in [
            report(&[]),
            report(&["http://"]),
            NewReport {
                email: Some("nope".into()),
                ..report(&["http://x.example/"])
            },
        ] {
            assert_eq!(
                desk.submit(bad).await.unwrap_err().kind(),
                ErrorKind::Invalid
            );
        }
        assert_eq!(
            desk.stats(&StatsQuery {
                from: None,
                to: None,
                by: Period::Day
            })
            .await
            .unwrap()
            .totals
            .reports,
            2
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_eyes_then_listed_signed_and_published_for_subscribers() {
    each_backend(|config| async move {
        let (desk, [a, b, _]) = support::desk_with_staff(&config).await;
        let (ann, bob) = (staff(&desk, &a).await, staff(&desk, &b).await);
        let r = desk
            .submit(report(&["http://bad.example/abuse/1.html"]))
            .await
            .unwrap()
            .reference;
        // Assessing without opening is refused; opening locks it to Ann.
        assert_eq!(
            desk.assess(&r, &ann, illegal("bad.example/abuse/1.html"))
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::Forbidden
        );
        desk.open_for(&r, &ann).await.unwrap();
        assert_eq!(
            desk.open_for(&r, &bob).await.unwrap_err().kind(),
            ErrorKind::Forbidden
        );
        assert_eq!(
            desk.queue().await.unwrap()[0].locked_by.as_deref(),
            Some("ann")
        );
        // An entry the list format refuses is refused at assessment.
        assert_eq!(
            desk.assess(&r, &ann, illegal("bad example"))
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::Invalid
        );
        let assessed = desk
            .assess(&r, &ann, illegal("bad.example/abuse/1.html"))
            .await
            .unwrap();
        assert_eq!(assessed.status, Status::AwaitingConfirmation);
        assert_eq!(
            desk.public_status(&r).await.unwrap().public_state(),
            "being_assessed"
        );
        // Nothing is listed yet, and Ann cannot confirm her own assessment.
        let manifest = config.data_dir.join("publication/desk-csam/manifest");
        assert!(
            std::fs::read_to_string(&manifest)
                .unwrap()
                .contains("sequence: 0")
        );
        assert_eq!(
            desk.confirm(&r, &ann, true).await.unwrap_err().kind(),
            ErrorKind::Forbidden
        );
        let done = desk.confirm(&r, &bob, true).await.unwrap();
        assert_eq!(
            (done.status, done.outcome),
            (Status::Closed, Some(Outcome::Illegal))
        );
        assert!(
            std::fs::read_to_string(&manifest)
                .unwrap()
                .contains("sequence: 1")
        );
        // The delta was published, and a subscriber verifying against the
        // desk's key blocks the URL, naming the report.
        assert!(
            config
                .data_dir
                .join("publication/desk-csam/delta-0-1.hwd")
                .exists()
        );
        let snap = subscriber_snapshot(&config, "desk-csam", 1);
        let v = snap.check_url("https://BAD.example/abuse/1.html").unwrap();
        assert_eq!(v.action(), Action::Block);
        assert_eq!(v.matches()[0].reference(), Some(r.as_str()));
        assert_eq!(v.matches()[0].list().issuer(), "Meldpunt");
        // The list file is audit-logged write-ahead by the list crate.
        let list = List::read_file(&config.data_dir.join("lists/desk-csam.hwl")).unwrap();
        assert_eq!(list.entries.len(), 1);
        assert!(
            config.data_dir.join("lists/desk-csam.hwl.audit").exists()
                || std::fs::read_dir(config.data_dir.join("lists"))
                    .unwrap()
                    .count()
                    >= 2
        );
        // A new report of the listed URL is told so at intake.
        let later = desk
            .submit(report(&["http://bad.example/abuse/1.html"]))
            .await
            .unwrap();
        assert_eq!(later.already_listed.len(), 1);
        assert_eq!(later.already_listed[0].list, "desk-csam");
        assert_eq!(
            later.already_listed[0].reference.as_deref(),
            Some(r.as_str())
        );
        // The audit trail names who did what.
        let trail: Vec<(String, String)> = desk
            .audit(Some(&r), 50)
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.actor, e.action))
            .collect();
        for want in [
            ("public", "submit"),
            ("ann", "open"),
            ("ann", "assess"),
            ("bob", "confirm"),
            ("desk", "list"),
        ] {
            assert!(
                trail.contains(&(want.0.into(), want.1.into())),
                "{want:?} in {trail:?}"
            );
        }
        // Feedback: the address is given out for a decided report, then deleted.
        assert_eq!(
            desk.feedback_address(&r, &bob).await.unwrap(),
            "reporter@example.org"
        );
        desk.feedback_sent(&r, &bob).await.unwrap();
        assert!(!desk.report(&r).await.unwrap().has_email);
        assert_eq!(
            desk.feedback_sent(&r, &bob).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
        let open = desk
            .submit(report(&["http://pending.example/"]))
            .await
            .unwrap()
            .reference;
        assert_eq!(
            desk.feedback_address(&open, &bob).await.unwrap_err().kind(),
            ErrorKind::Conflict
        );
        // Takedown tracking.
        desk.takedown(&r, &bob, TakedownEvent::HostNotified)
            .await
            .unwrap();
        let t = desk
            .takedown(&r, &bob, TakedownEvent::ContentRemoved)
            .await
            .unwrap();
        assert!(t.notified_at.is_some() && t.removed_at.is_some());
        let stats = desk
            .stats(&StatsQuery {
                from: None,
                to: None,
                by: Period::Month,
            })
            .await
            .unwrap();
        assert_eq!(stats.totals.by_outcome["illegal"], 1);
        assert_eq!(stats.durations.to_listing.count, 1);
        assert_eq!(stats.durations.notice_to_removal.count, 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disagreement_goes_to_a_supervisor() {
    each_backend(|config| async move {
        let (desk, [a, b, s]) = support::desk_with_staff(&config).await;
        let (ann, bob, sue) = (
            staff(&desk, &a).await,
            staff(&desk, &b).await,
            staff(&desk, &s).await,
        );
        let r = desk
            .submit(report(&["http://grey.example/x"]))
            .await
            .unwrap()
            .reference;
        desk.open_for(&r, &ann).await.unwrap();
        desk.assess(
            &r,
            &ann,
            Decision::Illegal {
                category: Category::Terrorism,
                kind: ListedKind::Domain,
                value: "grey.example".into(),
            },
        )
        .await
        .unwrap();
        assert_eq!(
            desk.confirm(&r, &bob, false).await.unwrap().status,
            Status::Disputed
        );
        assert_eq!(
            desk.resolve(&r, &bob, Decision::NotIllegal)
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::Forbidden
        );
        let done = desk
            .resolve(
                &r,
                &sue,
                Decision::Illegal {
                    category: Category::Terrorism,
                    kind: ListedKind::Domain,
                    value: "grey.example".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(done.outcome, Some(Outcome::Illegal));
        let listed = desk.audit(Some(&r), 50).await.unwrap();
        assert!(
            listed.iter().any(|e| e.action == "list"
                && e.detail == "domain grey.example in desk-terrorism sequence 1"),
            "the audit line names the entry listed: {listed:?}"
        );
        let snap = subscriber_snapshot(&config, "desk-terrorism", 1);
        assert!(
            snap.check_url("http://www.grey.example/anything")
                .unwrap()
                .is_blocked()
        );
        // A takedown on a report not decided illegal is refused.
        let r2 = desk
            .submit(report(&["http://fine.example/"]))
            .await
            .unwrap()
            .reference;
        desk.open_for(&r2, &ann).await.unwrap();
        desk.assess(&r2, &ann, Decision::NotIllegal).await.unwrap();
        assert_eq!(
            desk.takedown(&r2, &ann, TakedownEvent::HostNotified)
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::Conflict
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_lock_out_after_repeated_failures_and_tokens_identify() {
    each_backend(|mut config| async move {
        config.max_failed_logins = 3;
        let (desk, [a, ..]) = support::desk_with_staff(&config).await;
        assert_eq!(
            desk.login("ann", "a long enough password")
                .await
                .unwrap()
                .name,
            "ann"
        );
        assert_eq!(
            desk.login("nobody", "a long enough password")
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::Forbidden
        );
        for _ in 0..3 {
            assert_eq!(
                desk.login("ann", "wrong password!!")
                    .await
                    .unwrap_err()
                    .kind(),
                ErrorKind::Forbidden
            );
        }
        let locked = desk
            .login("ann", "a long enough password")
            .await
            .unwrap_err();
        assert!(locked.to_string().contains("locked"), "{locked}");
        assert_eq!(staff(&desk, &a).await.name, "ann");
        assert_eq!(
            desk.user_by_token("hwd_forged").await.unwrap_err().kind(),
            ErrorKind::Forbidden
        );
        assert_eq!(
            desk.add_user(
                "ann",
                hashwall_desk::model::Role::Analyst,
                "another long password"
            )
            .await
            .unwrap_err()
            .kind(),
            ErrorKind::Conflict
        );
        assert_eq!(
            desk.add_user("new", hashwall_desk::model::Role::Analyst, "short")
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::Invalid
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_deletes_addresses_and_anonymises_but_keeps_the_counts() {
    each_backend(|mut config| async move {
        config.email_retention_days = 0;
        config.report_retention_days = 0;
        let (desk, [a, ..]) = support::desk_with_staff(&config).await;
        let ann = staff(&desk, &a).await;
        let r = desk
            .submit(report(&["http://old.example/1"]))
            .await
            .unwrap()
            .reference;
        assert!(desk.report(&r).await.unwrap().has_email);
        desk.open_for(&r, &ann).await.unwrap();
        desk.assess(&r, &ann, Decision::PoliceOnly).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let done = desk.retention().await.unwrap();
        assert_eq!((done.emails_deleted, done.reports_anonymised), (1, 1));
        let after = desk.report(&r).await.unwrap();
        assert!(!after.has_email);
        assert_eq!(
            desk.feedback_address(&r, &ann).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(after.urls[0].given, "anonymised");
        let stats = desk
            .stats(&StatsQuery {
                from: None,
                to: None,
                by: Period::Week,
            })
            .await
            .unwrap();
        assert_eq!(stats.totals.by_outcome["police_only"], 1);
        assert_eq!(desk.retention().await.unwrap().reports_anonymised, 0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_reports_users_key_and_lists() {
    each_backend(|config| async move {
        let (desk, [a, b, _]) = support::desk_with_staff(&config).await;
        let (ann, bob) = (staff(&desk, &a).await, staff(&desk, &b).await);
        let r = desk
            .submit(report(&["http://keep.example/1"]))
            .await
            .unwrap()
            .reference;
        desk.open_for(&r, &ann).await.unwrap();
        desk.assess(&r, &ann, illegal("keep.example/1"))
            .await
            .unwrap();
        desk.confirm(&r, &bob, true).await.unwrap();
        let key = std::fs::read(config.data_dir.join("desk.key")).unwrap();
        drop(desk);
        let desk = Desk::open(&config).await.unwrap();
        assert_eq!(
            std::fs::read(config.data_dir.join("desk.key")).unwrap(),
            key
        );
        assert_eq!(
            desk.report(&r).await.unwrap().outcome,
            Some(Outcome::Illegal)
        );
        assert_eq!(desk.user_by_token(&a).await.unwrap().name, "ann");
        // Still listed after the restart, and not published twice.
        let again = desk
            .submit(report(&["http://keep.example/1"]))
            .await
            .unwrap();
        assert_eq!(again.already_listed.len(), 1);
        assert!(
            std::fs::read_to_string(config.data_dir.join("publication/desk-csam/manifest"))
                .unwrap()
                .contains("sequence: 1")
        );
        assert!(!Path::new(&config.data_dir.join("publication/desk-csam/list-2.hwl")).exists());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_change_never_blocks_the_next_writer() {
    // A change refused after its transaction wrote nothing still held
    // SQLite's write lock until its rollback ran; the next writer, having
    // read first, got "database is locked" at once.
    each_backend(|config| async move {
        let (desk, [a, ..]) = support::desk_with_staff(&config).await;
        let ann = staff(&desk, &a).await;
        let r = desk
            .submit(NewReport {
                email: None,
                ..report(&["http://quiet.example/"])
            })
            .await
            .unwrap()
            .reference;
        for i in 0..30 {
            assert_eq!(
                desk.feedback_sent(&r, &ann).await.unwrap_err().kind(),
                ErrorKind::NotFound
            );
            desk.submit(report(&[&format!("http://next{i}.example/")]))
                .await
                .unwrap();
            assert_eq!(
                desk.set_country(&r, &ann, 9, Some("NL"))
                    .await
                    .unwrap_err()
                    .kind(),
                ErrorKind::NotFound
            );
            desk.submit(report(&[&format!("http://again{i}.example/")]))
                .await
                .unwrap();
        }
    })
    .await;
}
