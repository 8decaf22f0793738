//! `hashwall lists show` and `hashwall lists stats`: a list's header,
//! entries and counts.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use hashwall_lists::{EntryKind, List};

use super::out;
use crate::cli::fail::Fail;

/// `hashwall lists show`
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The list file.
    pub list: PathBuf,
    /// Also print the entries.
    #[arg(long)]
    pub entries: bool,
}

/// `hashwall lists stats`
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// The list file.
    pub list: PathBuf,
}

/// Prints the header (and the entries).
pub fn run_show(a: &ShowArgs) -> Result<(), Fail> {
    let l = List::read_file(&a.list)?;
    let m = &l.meta;
    let mut s = format!(
        "id: {}\nissuer: {}\nname: {}\njurisdiction: {}\ncategory: {}\npolicy: {}\nsequence: {}\ncreated: {}\n",
        m.id, m.issuer, m.name, m.jurisdiction, m.category, m.policy, m.sequence, m.created
    );
    if let Some(e) = m.expires {
        s.push_str(&format!("expires: {e}\n"));
    }
    match m.signature {
        Some(sig) => s.push_str(&format!("signed-by-key: {}\n", sig.key_id)),
        None => s.push_str("signed-by-key: (unsigned)\n"),
    }
    s.push_str(&format!("entries: {}\n", l.entries.len()));
    out(&s);
    if a.entries {
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

/// Prints the entry counts per kind.
pub fn run_stats(a: &StatsArgs) -> Result<(), Fail> {
    let l = List::read_file(&a.list)?;
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
