//! CSV hash lists: a header row naming the columns, then one entry per
//! row.

use super::{ImportOptions, Step, import_error, make_entry, reject, signal_kind};
use crate::error::{Error, clip};
use crate::kind::EntryKind;
use crate::model::Entry;

/// Column names, matched after trimming, ASCII lower-casing and reading
/// spaces and `-` as `_`. Order
/// matters for references: the first present wins.
const COLUMN_ALIASES: &[(Column, &[&str])] = &[
    (
        Column::Hash(EntryKind::Md5),
        &[
            "md5",
            "md5_hash",
            "md5hash",
            "hash_md5",
            "video_md5",
            "photo_md5",
        ],
    ),
    (
        Column::Hash(EntryKind::Sha1),
        &["sha1", "sha_1", "sha1_hash", "sha1hash", "hash_sha1"],
    ),
    (
        Column::Hash(EntryKind::Sha256),
        &[
            "sha256",
            "sha_256",
            "sha256_hash",
            "sha256hash",
            "hash_sha256",
        ],
    ),
    (
        Column::Hash(EntryKind::Pdq),
        &["pdq", "pdq_hash", "pdqhash", "hash_pdq"],
    ),
    (Column::Hash(EntryKind::Phash), &["phash"]),
    (Column::Hash(EntryKind::Dhash), &["dhash"]),
    (
        Column::Type,
        &[
            "signal_type",
            "hash_type",
            "indicator_type",
            "td_indicator_type",
            "type",
        ],
    ),
    (
        Column::Value,
        &[
            "signal",
            "signal_value",
            "hash_value",
            "hash",
            "indicator",
            "td_raw_indicator",
            "raw_indicator",
            "value",
        ],
    ),
    (
        Column::Reference,
        &[
            "reference",
            "ref",
            "case",
            "case_id",
            "report_id",
            "content_id",
            "bank_content_id",
            "bank_member_id",
            "member_id",
            "descriptor_id",
            "td_id",
            "id",
        ],
    ),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Hash(EntryKind),
    Type,
    Value,
    Reference,
}

/// The columns of a CSV hash list, from its header row.
pub(super) struct CsvColumns {
    sep: char,
    width: usize,
    hashes: Vec<(usize, EntryKind)>,
    typed: Option<(usize, usize)>,
    reference: Option<usize>,
}

impl CsvColumns {
    pub(super) fn from_header(line: &str) -> Result<CsvColumns, Error> {
        // Hotlines export with `,`, spreadsheets in some locales with `;`,
        // and some tools with tabs: take whichever the header uses.
        let sep = [',', ';', '\t']
            .into_iter()
            .find(|&c| line.contains(c))
            .unwrap_or(',');
        let names = split_csv(line, sep).map_err(import_error)?;
        let names: Vec<String> = names
            .iter()
            // `MD5 Hash`, `md5-hash` and `md5_hash` name the same column.
            .map(|n| n.trim().to_ascii_lowercase().replace([' ', '-'], "_"))
            .collect();
        let find = |col: Column| -> Option<usize> {
            let aliases = COLUMN_ALIASES.iter().find(|(c, _)| *c == col)?.1;
            aliases
                .iter()
                .find_map(|a| names.iter().position(|n| n == a))
        };
        let mut hashes = Vec::new();
        for (col, _) in COLUMN_ALIASES {
            if let Column::Hash(kind) = *col
                && let Some(i) = find(*col)
            {
                hashes.push((i, kind));
            }
        }
        let typed = match (find(Column::Type), find(Column::Value)) {
            (Some(t), Some(v)) => Some((t, v)),
            _ => None,
        };
        if hashes.is_empty() && typed.is_none() {
            return Err(import_error(format!(
                "CSV header names no hash column (md5, sha1, sha256, pdq, phash, dhash) nor a \
                 signal_type + signal pair; found: {}",
                clip(&names.join(", "))
            )));
        }
        Ok(CsvColumns {
            sep,
            width: names.len(),
            hashes,
            typed,
            reference: find(Column::Reference),
        })
    }

    pub(super) fn row(
        &self,
        line: &str,
        opts: &ImportOptions<'_>,
        entries: &mut Vec<Entry>,
    ) -> Step {
        let fields = match split_csv(line, self.sep) {
            Ok(f) => f,
            Err(msg) => return reject(import_error(msg)),
        };
        if fields.len() != self.width {
            return reject(import_error(format!(
                "CSV row has {} fields, the header has {}",
                fields.len(),
                self.width
            )));
        }
        let cell = |i: usize| fields.get(i).map_or("", |s| s.trim());
        let reference = self.reference.map(cell).filter(|r| !r.is_empty());
        let mut staged = Vec::new();
        for &(i, kind) in &self.hashes {
            let v = cell(i);
            if v.is_empty() {
                continue;
            }
            match make_entry(kind, v, reference, opts) {
                Ok(e) => staged.push(e),
                Err(e) => return reject(e),
            }
        }
        if let Some((t, v)) = self.typed {
            let (ty, value) = (cell(t), cell(v));
            if !value.is_empty() {
                let kind = match signal_kind(ty, opts.url_prefix) {
                    Ok(k) => k,
                    Err(msg) => return reject(import_error(msg)),
                };
                match make_entry(kind, value, reference, opts) {
                    Ok(e) => staged.push(e),
                    Err(e) => return reject(e),
                }
            }
        }
        if staged.is_empty() {
            return reject(import_error("CSV row has no hash value"));
        }
        entries.extend(staged);
        Ok(())
    }
}

/// Split one CSV record (RFC 4180 quoting: `"a ""b"", c"`). Records do not
/// span lines: a quoted line break is an error, not a continuation, so one
/// bad quote cannot swallow the rest of the file.
fn split_csv(line: &str, sep: char) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    loop {
        // Start of a field: skip blanks before an opening quote.
        while let Some(&c) = chars.peek() {
            if c == ' ' && field.is_empty() {
                chars.next();
            } else {
                break;
            }
        }
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("unterminated quoted CSV field".to_owned()),
                }
            }
            // Only blanks may follow a closing quote.
            loop {
                match chars.peek() {
                    Some(&c) if c == sep => break,
                    Some(' ') | Some('\t') => {
                        chars.next();
                    }
                    Some(&c) => {
                        return Err(format!(
                            "unexpected {c:?} after a closing quote in CSV field"
                        ));
                    }
                    None => break,
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == sep {
                    break;
                }
                if c == '"' {
                    return Err("a quote inside an unquoted CSV field".to_owned());
                }
                field.push(c);
                chars.next();
            }
        }
        fields.push(std::mem::take(&mut field));
        match chars.next() {
            Some(_) => continue, // the separator
            None => break,
        }
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::split_csv;

    #[test]
    fn csv_quoting() {
        assert_eq!(
            split_csv("a,b,,c", ',').unwrap_or_default(),
            ["a", "b", "", "c"]
        );
        assert_eq!(
            split_csv(r#""a,1", "say ""hi""" ,x"#, ',').unwrap_or_default(),
            ["a,1", "say \"hi\"", "x"]
        );
        assert_eq!(split_csv("a;b", ';').unwrap_or_default(), ["a", "b"]);
        assert!(split_csv("\"open", ',').is_err());
        assert!(split_csv("\"a\"b", ',').is_err());
        assert!(split_csv("a\"b", ',').is_err());
    }
}
