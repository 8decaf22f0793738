//! `hashwall lists …`: keys, signing, verification, deltas and the audit log
//! for list maintainers.
//!
//! Exit status: 0 success; 1 a verification failure (bad or untrusted
//! signature, retired key, unsigned, expired, sequence gap, replay,
//! rollback, wrong list, truncated file, broken audit log); 2 a usage, parse
//! or I/O error. Errors are printed as `error: FILE:LINE: message`.
//!
//! Mutating commands (`new`, `add`, `add-image`, `remove`, `sign`, `apply`)
//! bump the list's sequence (except `new` and `sign`) and commit the change
//! write-ahead ([`hashwall_lists::change`]): audit records and a commit
//! record appended to `LIST.audit` and fsynced first, then the list
//! replaced atomically. Without `--key` a changed list is written
//! unsigned (with a warning); `sign` signs it afterwards.
//!
//! `HASHWALL_NOW` (RFC 3339), when set, replaces the system clock: for
//! reproducible tests and for checking what a list will do at a given time.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};

use super::fail::{Fail, io, usage};
use super::progress::Progress;
use hashwall::image::{Algorithm, HashOptions, hash_image};
use hashwall_lists::{
    Agreement, AuditOp, AuditRecord, Category, Change, Delta, Entry, EntryKind, Error,
    ExpiredPolicy, Jurisdiction, List, ListMeta, LoadOptions, Policy, SecretKey, Timestamp,
    TrustStore, TrustedKey, apply_file, audit_path, change, load_verified, trust_line,
    write_atomic,
};

/// `hashwall lists …`: maintenance (keys, signatures, deltas, audit) and
/// exchange (imports, exports, lint, Bloom filters).
#[derive(Debug, Subcommand)]
pub enum ListsCommand {
    /// Keys, signing, verification, deltas, audit log.
    #[command(flatten)]
    Maintain(MaintainCommand),
    /// Imports, exports, lint, Bloom filters.
    #[command(flatten)]
    Exchange(super::exchange::ExchangeCommand),
    /// Publication for subscribing proxies: add versions, serve over HTTP.
    #[command(subcommand)]
    Publish(super::publish::PublishCommand),
}

/// The maintenance half of `hashwall lists`.
#[derive(Debug, Subcommand)]
pub enum MaintainCommand {
    /// Generate an ed25519 key pair: PREFIX.key (secret, mode 0600) and
    /// PREFIX.pub; prints the key id and a trust store line.
    Keygen {
        /// Path prefix of the two files.
        #[arg(long, value_name = "PREFIX")]
        out: PathBuf,
        /// Issuer name for the printed trust store line.
        #[arg(long, default_value = "ISSUER")]
        issuer: String,
    },
    /// Create an empty list (sequence 0).
    New {
        /// The list file to create (must not exist).
        list: PathBuf,
        /// List id (`[A-Za-z0-9._-]{1,64}`); default: the file stem.
        #[arg(long)]
        id: Option<String>,
        /// Issuer, as named in partners' trust stores.
        #[arg(long)]
        issuer: String,
        /// Human-readable name; default: the id.
        #[arg(long)]
        name: Option<String>,
        /// ISO 3166-1 alpha-2 code or INT.
        #[arg(long, default_value = "INT")]
        jurisdiction: String,
        /// csam, terrorism, malware or another token.
        #[arg(long, default_value = "other")]
        category: String,
        /// block, monitor or allow.
        #[arg(long, default_value = "block")]
        policy: String,
        /// Expiry time (RFC 3339).
        #[arg(long)]
        expires: Option<String>,
        /// Secret key file to sign with.
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
    },
    /// Add an entry (bumps the sequence, records it in the audit log).
    Add {
        /// The list file.
        list: PathBuf,
        /// Entry kind: url, url-prefix, domain, url-sha256, pdq, md5, sha1, sha256, ...
        kind: String,
        /// The URL, domain or hash.
        value: String,
        /// The issuer's reference (case number).
        #[arg(long = "ref", value_name = "REF")]
        reference: String,
        /// Why, for the audit log.
        #[arg(long, default_value = "")]
        reason: String,
        /// Secret key file to sign the new version with.
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
    },
    /// Add image files' PDQ, MD5 and SHA-256 hashes (bumps the sequence
    /// once, records each entry in the audit log). A file that cannot be
    /// read or decoded is an error naming it, and nothing is added for it;
    /// hashes the list already holds are not added twice.
    AddImage {
        /// The list file.
        list: PathBuf,
        /// Image files (JPEG, PNG, GIF, WebP, BMP, TIFF).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// The issuer's reference (case number), on every entry.
        #[arg(long = "ref", value_name = "REF")]
        reference: String,
        /// Why, for the audit log.
        #[arg(long, default_value = "")]
        reason: String,
        /// Secret key file to sign the new version with.
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
    },
    /// Remove every entry with this kind and value (bumps the sequence,
    /// records each removal in the audit log).
    Remove {
        /// The list file.
        list: PathBuf,
        /// Entry kind.
        kind: String,
        /// The URL, domain or hash.
        value: String,
        /// Why, for the audit log.
        #[arg(long, default_value = "")]
        reason: String,
        /// Secret key file to sign the new version with.
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
    },
    /// Sign a list in place (content unchanged).
    Sign {
        /// The list file.
        list: PathBuf,
        /// Secret key file.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// Verify a list against a trust store. Exit 1 if it does not verify.
    Verify {
        /// The list file.
        list: PathBuf,
        /// Trust store file.
        #[arg(long, value_name = "FILE")]
        trust: Option<PathBuf>,
        /// Accept an unsigned list.
        #[arg(long)]
        allow_unsigned: bool,
        /// What to do with an expired list.
        #[arg(long, value_enum, default_value_t = ExpiredArg::Refuse)]
        expired: ExpiredArg,
        /// Refuse a list older than this sequence (a rollback).
        #[arg(long, value_name = "SEQ")]
        min_sequence: Option<u64>,
    },
    /// Print a list's header (and with --entries its entries).
    Show {
        /// The list file.
        list: PathBuf,
        /// Also print the entries.
        #[arg(long)]
        entries: bool,
    },
    /// Entry counts per kind.
    Stats {
        /// The list file.
        list: PathBuf,
    },
    /// Write the signed delta from OLD to NEW.
    Diff {
        /// The older version.
        old: PathBuf,
        /// The newer version.
        new: PathBuf,
        /// Where to write the delta.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Secret key file to sign with.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// Apply a delta to a list: verify, replace atomically, audit.
    Apply {
        /// The list file.
        list: PathBuf,
        /// The delta file.
        delta: PathBuf,
        /// Trust store file.
        #[arg(long, value_name = "FILE")]
        trust: PathBuf,
        /// Why, for the audit log.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Verify a list's audit log (LIST.audit) and print its head hash.
    Audit {
        /// The list file (its audit log is LIST.audit).
        list: PathBuf,
        /// Also print the records.
        #[arg(long)]
        records: bool,
    },
}

/// `--expired`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExpiredArg {
    /// Refuse an expired list (exit 1).
    Refuse,
    /// Accept it and say it is expired.
    Flag,
}

/// Runs a `lists` subcommand; see the module docs for the exit status.
pub fn run(cmd: &ListsCommand) -> ExitCode {
    let cmd = match cmd {
        ListsCommand::Maintain(cmd) => cmd,
        // The exchange commands print their own errors and choose their own
        // exit status (lint: 1 on findings).
        ListsCommand::Exchange(cmd) => return super::exchange::run(cmd),
        ListsCommand::Publish(cmd) => return super::publish::run(cmd),
    };
    let progress = Progress::start(&progress_label(cmd), None);
    let done = dispatch(cmd, &progress);
    // Cleared before the error line, so the two never share a line.
    drop(progress);
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => f.report(),
    }
}

/// What the progress line says while a command runs.
fn progress_label(cmd: &MaintainCommand) -> String {
    let name = |p: &Path| p.display().to_string();
    match cmd {
        MaintainCommand::Add { list, .. }
        | MaintainCommand::Remove { list, .. }
        | MaintainCommand::Sign { list, .. } => format!("updating {}", name(list)),
        MaintainCommand::AddImage { list, .. } => format!("hashing images for {}", name(list)),
        MaintainCommand::Verify { list, .. } => format!("verifying {}", name(list)),
        MaintainCommand::Show { list, .. } | MaintainCommand::Stats { list } => {
            format!("reading {}", name(list))
        }
        MaintainCommand::Diff { old, new, .. } => {
            format!("diffing {} and {}", name(old), name(new))
        }
        MaintainCommand::Apply { list, delta, .. } => {
            format!("applying {} to {}", name(delta), name(list))
        }
        MaintainCommand::Audit { list, .. } => format!("checking the audit log of {}", name(list)),
        MaintainCommand::New { list, .. } => format!("creating {}", name(list)),
        MaintainCommand::Keygen { .. } => "generating a key".to_owned(),
    }
}

fn now() -> Result<Timestamp, Fail> {
    match std::env::var("HASHWALL_NOW") {
        Ok(s) => s
            .parse()
            .map_err(|e: Error| usage(format!("HASHWALL_NOW: {e}"))),
        Err(_) => Ok(Timestamp::now()),
    }
}

fn out(s: &str) {
    // Results and the progress line would share a terminal's screen.
    super::progress::hide();
    // A closed stdout (`| head`) is not an error worth a panic.
    let _ = std::io::stdout().lock().write_all(s.as_bytes());
}

fn dispatch(cmd: &MaintainCommand, progress: &Progress) -> Result<(), Fail> {
    match cmd {
        MaintainCommand::Keygen {
            out: prefix,
            issuer,
        } => keygen(prefix, issuer),
        MaintainCommand::New {
            list,
            id,
            issuer,
            name,
            jurisdiction,
            category,
            policy,
            expires,
            key,
        } => {
            if list.exists() {
                return Err(usage(format!("{}: already exists", list.display())));
            }
            let stem = list
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let id = id.clone().unwrap_or_else(|| ListMeta::sanitise_id(&stem));
            if !ListMeta::is_valid_id(&id) {
                return Err(usage(format!("invalid --id {id:?}")));
            }
            let mut meta = ListMeta::with_defaults(&id);
            meta.issuer.clone_from(issuer);
            meta.name = name.clone().unwrap_or_else(|| id.clone());
            meta.jurisdiction = jurisdiction.parse::<Jurisdiction>()?;
            meta.category = category.parse::<Category>()?;
            meta.policy = policy.parse::<Policy>()?;
            meta.created = now()?;
            meta.expires = expires.as_deref().map(str::parse).transpose()?;
            let mut l = List {
                meta,
                entries: Vec::new(),
            };
            let key = key.as_deref().map(SecretKey::read_file).transpose()?;
            let now = l.meta.created;
            save(
                list,
                &mut l,
                key.as_ref(),
                change("new", "", now, 0, Vec::new()),
            )?;
            out(&format!("created {} (id {id})\n", list.display()));
            Ok(())
        }
        MaintainCommand::Add {
            list,
            kind,
            value,
            reference,
            reason,
            key,
        } => {
            let key = key.as_deref().map(SecretKey::read_file).transpose()?;
            let mut l = List::read_file(list)?;
            let now = now()?;
            let mut e = parse_kv(kind, value)?;
            e.reference = Some(reference.trim().to_owned()).filter(|r| !r.is_empty());
            if let Some(r) = &e.reference
                && r.chars().any(|c| c.is_control() && c != '\t')
            {
                return Err(usage("--ref contains control characters"));
            }
            e.added = Some(now);
            let base = l.meta.sequence;
            bump(&mut l, now)?;
            let rec = record(&l, AuditOp::Add, &e, reason, now, key.as_ref());
            l.entries.push(e);
            let head = save(
                list,
                &mut l,
                key.as_ref(),
                change("add", reason, now, base, vec![rec]),
            )?;
            out(&format!(
                "added to {} (sequence {}); audit head {head}\n",
                list.display(),
                l.meta.sequence
            ));
            Ok(())
        }
        MaintainCommand::AddImage {
            list,
            files,
            reference,
            reason,
            key,
        } => add_image(list, files, reference, reason, key.as_deref(), progress),
        MaintainCommand::Remove {
            list,
            kind,
            value,
            reason,
            key,
        } => {
            let key = key.as_deref().map(SecretKey::read_file).transpose()?;
            let mut l = List::read_file(list)?;
            let now = now()?;
            let probe = parse_kv(kind, value)?;
            let (gone, kept): (Vec<Entry>, Vec<Entry>) = std::mem::take(&mut l.entries)
                .into_iter()
                .partition(|e| e.kind == probe.kind && e.value == probe.value);
            l.entries = kept;
            if gone.is_empty() {
                return Err(usage(format!(
                    "{}: no {} entry {}",
                    list.display(),
                    probe.kind,
                    probe.value
                )));
            }
            let base = l.meta.sequence;
            bump(&mut l, now)?;
            let recs: Vec<AuditRecord> = gone
                .iter()
                .map(|e| record(&l, AuditOp::Remove, e, reason, now, key.as_ref()))
                .collect();
            let head = save(
                list,
                &mut l,
                key.as_ref(),
                change("remove", reason, now, base, recs),
            )?;
            out(&format!(
                "removed {} entr{} from {} (sequence {}); audit head {head}\n",
                gone.len(),
                if gone.len() == 1 { "y" } else { "ies" },
                list.display(),
                l.meta.sequence
            ));
            Ok(())
        }
        MaintainCommand::Sign { list, key } => {
            let key = SecretKey::read_file(key)?;
            let mut l = List::read_file(list)?;
            let base = l.meta.sequence;
            save(
                list,
                &mut l,
                Some(&key),
                change("sign", "", now()?, base, Vec::new()),
            )?;
            out(&format!(
                "signed {} with key {}\n",
                list.display(),
                key.public_key().key_id()
            ));
            Ok(())
        }
        MaintainCommand::Verify {
            list,
            trust,
            allow_unsigned,
            expired,
            min_sequence,
        } => {
            let trust = match trust {
                Some(p) => TrustStore::load(p)?,
                None => TrustStore::new(),
            };
            let opts = LoadOptions {
                allow_unsigned: *allow_unsigned,
                expired: match expired {
                    ExpiredArg::Refuse => ExpiredPolicy::Refuse,
                    ExpiredArg::Flag => ExpiredPolicy::Flag,
                },
                min_sequence: *min_sequence,
                now: Some(now()?),
            };
            let (l, v) = load_verified(list, &trust, &opts)?;
            // The list verifies on its own; say so if its audit log shows an
            // interrupted change (the list is then the last good version).
            if audit_path(list).exists() {
                match change::check(list) {
                    Ok(c) => {
                        for note in c.notes() {
                            super::progress::message(&format!(
                                "note: {}: {note}",
                                audit_path(list).display()
                            ));
                        }
                    }
                    Err(e) => super::progress::message(&format!("warning: {e}")),
                }
            }
            let who = match &v.signer {
                Some(s) => format!("signed by {:?} with key {}", s.issuer, s.key_id),
                None => "UNSIGNED (allowed)".to_owned(),
            };
            let exp = if v.expired { ", EXPIRED" } else { "" };
            out(&format!(
                "ok\t{}\t{} sequence {}, {} entries, {who}{exp}\n",
                list.display(),
                l.meta.id,
                l.meta.sequence,
                l.entries.len()
            ));
            Ok(())
        }
        MaintainCommand::Show { list, entries } => {
            let l = List::read_file(list)?;
            let m = &l.meta;
            let mut s = String::new();
            s.push_str(&format!(
                "id: {}\nissuer: {}\nname: {}\njurisdiction: {}\ncategory: {}\npolicy: {}\nsequence: {}\ncreated: {}\n",
                m.id, m.issuer, m.name, m.jurisdiction, m.category, m.policy, m.sequence, m.created
            ));
            if let Some(e) = m.expires {
                s.push_str(&format!("expires: {e}\n"));
            }
            match m.signature {
                Some(sig) => s.push_str(&format!("signed-by-key: {}\n", sig.key_id)),
                None => s.push_str("signed-by-key: (unsigned)\n"),
            }
            s.push_str(&format!("entries: {}\n", l.entries.len()));
            out(&s);
            if *entries {
                let mut body = String::new();
                for e in &l.entries {
                    if let Some(t) = e.added {
                        body.push_str(&format!("@{t} "));
                    }
                    body.push_str(&format!("{} {}", e.kind, e.value));
                    if let Some(r) = &e.reference {
                        body.push(' ');
                        body.push_str(r);
                    }
                    body.push('\n');
                }
                out(&body);
            }
            Ok(())
        }
        MaintainCommand::Stats { list } => {
            let l = List::read_file(list)?;
            let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
            for e in &l.entries {
                *by_kind.entry(e.kind.as_str()).or_default() += 1;
            }
            let with_ref = l.entries.iter().filter(|e| e.reference.is_some()).count();
            let with_added = l.entries.iter().filter(|e| e.added.is_some()).count();
            let mut s = format!("entries\t{}\n", l.entries.len());
            for k in EntryKind::ALL {
                if let Some(n) = by_kind.get(k.as_str()) {
                    s.push_str(&format!("{k}\t{n}\n"));
                }
            }
            s.push_str(&format!(
                "with-reference\t{with_ref}\nwith-added\t{with_added}\n"
            ));
            out(&s);
            Ok(())
        }
        MaintainCommand::Diff {
            old,
            new,
            out: dest,
            key,
        } => {
            let key = SecretKey::read_file(key)?;
            let o = List::read_file(old)?;
            let n = List::read_file(new)?;
            if o.meta.id != n.meta.id || o.meta.issuer != n.meta.issuer {
                return Err(usage(format!(
                    "{} and {} are different lists (id or issuer differ)",
                    old.display(),
                    new.display()
                )));
            }
            if n.meta.sequence <= o.meta.sequence {
                return Err(usage(format!(
                    "{} (sequence {}) is not newer than {} (sequence {})",
                    new.display(),
                    n.meta.sequence,
                    old.display(),
                    o.meta.sequence
                )));
            }
            let mut d = Delta::diff(&o, &n);
            d.sign(&o, &key)?;
            let text = d.to_text();
            write_atomic(dest, |w| w.write_all(text.as_bytes()))?;
            out(&format!(
                "wrote {}: sequence {} -> {}, -{} +{}\n",
                dest.display(),
                d.from,
                d.to,
                d.removed.len(),
                d.added.len()
            ));
            Ok(())
        }
        MaintainCommand::Apply {
            list,
            delta,
            trust,
            reason,
        } => {
            let trust = TrustStore::load(trust)?;
            let a = apply_file(list, delta, &trust, reason, now()?)?;
            for r in &a.recovered {
                super::progress::message(&format!("warning: {r}"));
            }
            out(&format!(
                "applied {} to {}: sequence {} -> {}, -{} +{}, signed by key {}; audit head {}\n",
                delta.display(),
                list.display(),
                a.from,
                a.to,
                a.removed,
                a.added,
                a.signer.key_id,
                a.audit_head
            ));
            Ok(())
        }
        MaintainCommand::Audit { list, records } => {
            let path = audit_path(list);
            let checked = change::check(list)?;
            if *records {
                let (_, recs) = read_complete_records(&path)?;
                let mut s = String::new();
                for r in &recs {
                    s.push_str(&format!(
                        "{}\t{}\t{}\t{} {}\t{}\t{}\t{}\n",
                        r.time,
                        r.list_sequence,
                        r.op,
                        r.kind,
                        r.value,
                        r.reference,
                        r.reason,
                        r.key_id.map(|k| k.to_string()).unwrap_or_default()
                    ));
                }
                out(&s);
            }
            // An interrupted or pending change is the expected trace of a
            // crash, not corruption: the list is the last good version.
            for note in checked.notes() {
                let (tag, text) = note.split_once(": ").unwrap_or(("note", &note));
                out(&format!("{tag}\t{}\t{text}\n", path.display()));
            }
            if let Agreement::Mismatch { .. } = checked.agreement {
                return Err(Fail {
                    code: 1,
                    message: format!(
                        "{}: the list does not match its audit log {}",
                        list.display(),
                        path.display()
                    ),
                });
            }
            let sum = &checked.journal.summary;
            out(&format!(
                "ok\t{}\t{} records, head {}\n",
                path.display(),
                sum.records,
                sum.head
            ));
            Ok(())
        }
    }
}

/// The complete records of a log (a torn last line left out: `check`
/// reports it).
fn read_complete_records(
    path: &Path,
) -> Result<(hashwall_lists::audit::AuditSummary, Vec<AuditRecord>), Fail> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io(path, e)),
    };
    let end = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    hashwall_lists::audit::read_records(&bytes[..end]).map_err(|e| {
        let mut f = Fail::from(e);
        f.message = format!("{}: {}", path.display(), f.message);
        f
    })
}

fn keygen(prefix: &Path, issuer: &str) -> Result<(), Fail> {
    let mut sp = prefix.as_os_str().to_owned();
    sp.push(".key");
    let mut pp = prefix.as_os_str().to_owned();
    pp.push(".pub");
    let (sp, pp) = (PathBuf::from(sp), PathBuf::from(pp));
    if pp.exists() {
        return Err(usage(format!("{}: already exists", pp.display())));
    }
    let k = SecretKey::generate()?;
    k.write_file(&sp)?;
    let pk = k.public_key();
    let text = pk.to_file_text();
    write_atomic(&pp, |w| w.write_all(text.as_bytes()))?;
    let line = trust_line(&TrustedKey {
        issuer: issuer.to_owned(),
        key: pk,
        not_before: None,
        not_after: None,
    });
    out(&format!(
        "key id {}\nsecret key: {}\npublic key: {}\ntrust store line:\n{line}\n",
        pk.key_id(),
        sp.display(),
        pp.display()
    ));
    Ok(())
}

/// Parse `KIND VALUE` as an entry line, so the CLI validates exactly like
/// the list parser.
fn parse_kv(kind: &str, value: &str) -> Result<Entry, Fail> {
    if value.is_empty() || value.contains([' ', '\t']) {
        return Err(usage("VALUE must be one token without spaces"));
    }
    Entry::from_line(&format!("{kind} {value}")).map_err(|e| usage(e.message()))
}

/// PDQ below this quality matches poorly (PDQ's own guidance); such a hash
/// is still added, but the maintainer is told.
const PDQ_MIN_QUALITY: u8 = 50;

fn add_image(
    list: &Path,
    files: &[PathBuf],
    reference: &str,
    reason: &str,
    key: Option<&Path>,
    progress: &Progress,
) -> Result<(), Fail> {
    let key = key.map(SecretKey::read_file).transpose()?;
    let mut l = List::read_file(list)?;
    let now = now()?;
    let reference = Some(reference.trim().to_owned()).filter(|r| !r.is_empty());
    if let Some(r) = &reference
        && r.chars().any(|c| c.is_control() && c != '\t')
    {
        return Err(usage("--ref contains control characters"));
    }
    // Full-resolution PDQ (what the shared hash lists hold) plus the exact
    // digests of the file as given.
    let opts = HashOptions::new().algorithms([Algorithm::Pdq, Algorithm::Md5, Algorithm::Sha256]);
    let mut new: Vec<Entry> = Vec::new();
    let mut failed: Vec<String> = Vec::new();
    let mut report = String::new();
    progress.stage(
        &format!("hashing images for {}", list.display()),
        Some(files.len() as u64),
    );
    for path in files {
        progress.inc(1);
        let hashes = std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| hash_image(&bytes, &opts).map_err(|e| e.to_string()));
        let hashes = match hashes {
            Ok(h) => h,
            Err(why) => {
                // Nothing of this file is added: no digest without its PDQ.
                failed.push(format!("{}: {why}", path.display()));
                continue;
            }
        };
        report.push_str(&path.display().to_string());
        for h in &hashes.hashes {
            let mut e = parse_kv(h.algorithm.as_str(), &h.value.to_string())?;
            e.reference.clone_from(&reference);
            e.added = Some(now);
            let known = l
                .entries
                .iter()
                .chain(&new)
                .any(|x| x.kind == e.kind && x.value == e.value);
            report.push_str(&format!("\t{} {}", e.kind, e.value));
            if let Some(q) = h.quality() {
                report.push_str(&format!(" quality={q}"));
                if q < PDQ_MIN_QUALITY {
                    progress.note(&format!(
                        "warning: {}: PDQ quality {q} is below {PDQ_MIN_QUALITY}; it will match poorly",
                        path.display()
                    ));
                }
            }
            if known {
                report.push_str(" (already listed)");
            } else {
                new.push(e);
            }
        }
        report.push('\n');
    }
    if !new.is_empty() {
        let base = l.meta.sequence;
        bump(&mut l, now)?;
        let recs: Vec<AuditRecord> = new
            .iter()
            .map(|e| record(&l, AuditOp::Add, e, reason, now, key.as_ref()))
            .collect();
        l.entries.extend(new.iter().cloned());
        let head = save(
            list,
            &mut l,
            key.as_ref(),
            change("add-image", reason, now, base, recs),
        )?;
        report.push_str(&format!(
            "added {} entr{} to {} (sequence {}); audit head {head}\n",
            new.len(),
            if new.len() == 1 { "y" } else { "ies" },
            list.display(),
            l.meta.sequence
        ));
    } else if failed.is_empty() {
        report.push_str(&format!(
            "nothing new for {}: every hash is already listed\n",
            list.display()
        ));
    }
    out(&report);
    if failed.is_empty() {
        Ok(())
    } else {
        // Every bad file is named, in order; the last goes through the
        // usual `error:` path, so the exit status is 2.
        let last = failed.pop().unwrap_or_default();
        for f in &failed {
            eprintln!("error: {f}");
        }
        Err(usage(last))
    }
}

/// A new version: sequence + 1, created now (never moving backwards).
fn bump(l: &mut List, now: Timestamp) -> Result<(), Fail> {
    l.meta.sequence = l
        .meta
        .sequence
        .checked_add(1)
        .ok_or_else(|| usage("sequence overflow"))?;
    l.meta.created = now.max(l.meta.created);
    Ok(())
}

fn record(
    l: &List,
    op: AuditOp,
    e: &Entry,
    reason: &str,
    now: Timestamp,
    key: Option<&SecretKey>,
) -> AuditRecord {
    AuditRecord {
        time: now,
        list_id: l.meta.id.clone(),
        list_sequence: l.meta.sequence,
        op,
        kind: e.kind,
        value: e.value.clone(),
        reference: e.reference.clone().unwrap_or_default(),
        reason: reason.to_owned(),
        key_id: key.map(|k| k.public_key().key_id()),
    }
}

/// A change for [`save`]; its key is filled in there.
fn change(
    operation: &str,
    reason: &str,
    now: Timestamp,
    base_sequence: u64,
    records: Vec<AuditRecord>,
) -> Change {
    Change {
        operation: operation.to_owned(),
        reason: reason.to_owned(),
        time: now,
        key_id: None,
        base_sequence,
        records,
    }
}

/// Sign (or, without a key, drop the now stale signature), then commit the
/// change write-ahead: audit log first, then the list replaced atomically.
/// Returns the audit head.
fn save(
    path: &Path,
    l: &mut List,
    key: Option<&SecretKey>,
    mut change: Change,
) -> Result<String, Fail> {
    match key {
        Some(k) => l.sign(k),
        None => {
            if let Some(sig) = l.meta.signature.take() {
                super::progress::message(&format!(
                    "warning: {} was signed by key {}; it is now UNSIGNED (pass --key or run `hashwall lists sign`)",
                    path.display(),
                    sig.key_id
                ));
            }
        }
    }
    change.key_id = key.map(|k| k.public_key().key_id());
    let done = hashwall_lists::commit_change(path, l, &change)?;
    for r in &done.recovered {
        super::progress::message(&format!("warning: {r}"));
    }
    Ok(done.head)
}
