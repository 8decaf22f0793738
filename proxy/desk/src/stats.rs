//! Statistics on alerts: reports per period by category, source and
//! outcome; time from report to decision, to listing, and from notice to
//! removal (median and 90th percentile); hosting countries; duplicates.
//!
//! Computed from the stored reports of the period asked for, so the
//! figures are always those of the database (no counters to drift).
//! Anonymised reports keep everything counted here.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use hashwall::lists::Timestamp;
use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};
use crate::model::{Category, Outcome, Source};
use crate::store::StatsRow;

const DAY: i64 = 86_400;

/// The width of a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// Calendar days (UTC).
    Day,
    /// ISO weeks, Monday to Sunday (UTC), labelled by their Monday.
    Week,
    /// Calendar months (UTC).
    Month,
}

impl std::str::FromStr for Period {
    type Err = Error;
    fn from_str(s: &str) -> Result<Period> {
        match s {
            "day" => Ok(Period::Day),
            "week" => Ok(Period::Week),
            "month" => Ok(Period::Month),
            _ => Err(Error::new(
                ErrorKind::Invalid,
                format!("by: expected day, week or month, got {s:?}"),
            )),
        }
    }
}

impl Period {
    /// The start of the bucket holding `t`, and its label.
    fn bucket(self, t: Timestamp) -> (Timestamp, String) {
        let day_start = t.unix_seconds().div_euclid(DAY) * DAY;
        let start = match self {
            Period::Day => day_start,
            // 1970-01-01 was a Thursday: Monday is 3 days before.
            Period::Week => day_start - (day_start / DAY + 3).rem_euclid(7) * DAY,
            Period::Month => {
                let date = Timestamp::from_unix_seconds(day_start).to_string();
                let first = format!("{}-01T00:00:00Z", date.get(..7).unwrap_or("1970-01"));
                first
                    .parse::<Timestamp>()
                    .map_or(day_start, Timestamp::unix_seconds)
            }
        };
        let text = Timestamp::from_unix_seconds(start).to_string();
        let label = match self {
            Period::Day | Period::Week => text.get(..10),
            Period::Month => text.get(..7),
        };
        (
            Timestamp::from_unix_seconds(start),
            label.unwrap_or_default().to_owned(),
        )
    }
}

/// What to count.
#[derive(Debug, Clone, Copy)]
pub struct StatsQuery {
    /// From (inclusive); `None`: the beginning.
    pub from: Option<Timestamp>,
    /// To (exclusive); `None`: now.
    pub to: Option<Timestamp>,
    /// The bucket width.
    pub by: Period,
}

/// Counts by category, source and outcome (`open` for undecided).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    /// Reports.
    pub reports: u64,
    /// By the reporter's category.
    pub by_category: BTreeMap<String, u64>,
    /// By who sent them.
    pub by_source: BTreeMap<String, u64>,
    /// By outcome.
    pub by_outcome: BTreeMap<String, u64>,
}

impl Counts {
    fn zero() -> Counts {
        let names = |all: &[&str]| all.iter().map(|s| ((*s).to_owned(), 0)).collect();
        Counts {
            reports: 0,
            by_category: names(&Category::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>()),
            by_source: names(&Source::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>()),
            by_outcome: names(
                &Outcome::ALL
                    .iter()
                    .map(|c| c.as_str())
                    .chain(["open"])
                    .collect::<Vec<_>>(),
            ),
        }
    }

    fn add(&mut self, row: &StatsRow) {
        self.reports += 1;
        *self
            .by_category
            .entry(row.category.as_str().into())
            .or_default() += 1;
        *self
            .by_source
            .entry(row.source.as_str().into())
            .or_default() += 1;
        let outcome = row.outcome.map_or("open", Outcome::as_str);
        *self.by_outcome.entry(outcome.into()).or_default() += 1;
    }
}

/// One period.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Bucket {
    /// Its start.
    #[serde(serialize_with = "ser_time")]
    pub start: Timestamp,
    /// `2026-12-03` (day; week: its Monday) or `2026-12` (month).
    pub label: String,
    /// Its counts.
    #[serde(flatten)]
    pub counts: Counts,
}

/// Median and 90th percentile of a duration, in seconds (nearest rank).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Quantiles {
    /// How many reports had both times.
    pub count: u64,
    /// The median.
    pub median_secs: Option<u64>,
    /// The 90th percentile.
    pub p90_secs: Option<u64>,
}

impl Quantiles {
    fn of(mut secs: Vec<u64>) -> Quantiles {
        secs.sort_unstable();
        let rank = |p: usize| {
            let n = secs.len();
            (n > 0).then(|| secs[(n * p).div_ceil(100).clamp(1, n) - 1])
        };
        Quantiles {
            count: secs.len() as u64,
            median_secs: rank(50),
            p90_secs: rank(90),
        }
    }
}

/// The three durations the desk is judged by.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Durations {
    /// Report received → decided.
    pub to_decision: Quantiles,
    /// Report received → entry published.
    pub to_listing: Quantiles,
    /// Host notified → content removed.
    pub notice_to_removal: Quantiles,
}

/// The statistics of a period.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Stats {
    /// From (inclusive).
    #[serde(serialize_with = "ser_time")]
    pub from: Timestamp,
    /// To (exclusive).
    #[serde(serialize_with = "ser_time")]
    pub to: Timestamp,
    /// The bucket width.
    pub by: Period,
    /// One bucket per period that had reports, oldest first.
    pub buckets: Vec<Bucket>,
    /// The whole range.
    pub totals: Counts,
    /// Durations over the range.
    pub durations: Durations,
    /// Reported URLs per hosting country (`unknown` when not found), most first.
    pub countries: Vec<(String, u64)>,
    /// Reports closed as duplicates.
    pub duplicates: u64,
}

fn ser_time<S: serde::Serializer>(t: &Timestamp, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(t)
}

fn span(a: Timestamp, b: Option<Timestamp>) -> Option<u64> {
    u64::try_from(b?.unix_seconds() - a.unix_seconds()).ok()
}

impl Stats {
    /// Count `rows` (the reports received in `[from, to)`).
    pub fn compute(rows: &[StatsRow], from: Timestamp, to: Timestamp, by: Period) -> Stats {
        let mut buckets: BTreeMap<Timestamp, Bucket> = BTreeMap::new();
        let mut totals = Counts::zero();
        let mut countries: BTreeMap<String, u64> = BTreeMap::new();
        let (mut decision, mut listing, mut removal) = (Vec::new(), Vec::new(), Vec::new());
        let mut duplicates = 0;
        for row in rows {
            let (start, label) = by.bucket(row.received_at);
            buckets
                .entry(start)
                .or_insert_with(|| Bucket {
                    start,
                    label,
                    counts: Counts::zero(),
                })
                .counts
                .add(row);
            totals.add(row);
            decision.extend(span(row.received_at, row.decided_at));
            listing.extend(span(row.received_at, row.listed_at));
            if let Some(n) = row.notified_at {
                removal.extend(span(n, row.removed_at));
            }
            duplicates += u64::from(row.outcome == Some(Outcome::Duplicate));
            for c in &row.countries {
                *countries
                    .entry(c.clone().unwrap_or_else(|| "unknown".into()))
                    .or_default() += 1;
            }
        }
        let mut countries: Vec<(String, u64)> = countries.into_iter().collect();
        countries.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Stats {
            from,
            to,
            by,
            buckets: buckets.into_values().collect(),
            totals,
            durations: Durations {
                to_decision: Quantiles::of(decision),
                to_listing: Quantiles::of(listing),
                notice_to_removal: Quantiles::of(removal),
            },
            countries,
            duplicates,
        }
    }

    /// One CSV row per period: the counts by category, source and outcome.
    pub fn to_csv(&self) -> String {
        let zero = Counts::zero();
        let mut out = String::from("period,reports");
        for name in zero
            .by_category
            .keys()
            .map(|k| format!("category_{k}"))
            .chain(zero.by_source.keys().map(|k| format!("source_{k}")))
            .chain(zero.by_outcome.keys().map(|k| format!("outcome_{k}")))
        {
            out.push(',');
            out.push_str(&name);
        }
        out.push('\n');
        for b in &self.buckets {
            let _ = write!(out, "{},{}", b.label, b.counts.reports);
            for map in [
                &b.counts.by_category,
                &b.counts.by_source,
                &b.counts.by_outcome,
            ] {
                for v in map.values() {
                    let _ = write!(out, ",{v}");
                }
            }
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn row(received: &str, outcome: Option<Outcome>, decided: Option<&str>) -> StatsRow {
        StatsRow {
            category: Category::Csam,
            source: Source::Public,
            outcome,
            received_at: at(received),
            decided_at: decided.map(at),
            listed_at: None,
            notified_at: None,
            removed_at: None,
            duplicate_count: 0,
            countries: vec![Some("NL".into()), None],
        }
    }

    #[test]
    fn buckets_by_day_week_and_month() {
        let t = at("2026-12-03T15:00:00Z"); // a Thursday
        assert_eq!(Period::Day.bucket(t).1, "2026-12-03");
        assert_eq!(
            Period::Week.bucket(t),
            (at("2026-11-30T00:00:00Z"), "2026-11-30".into())
        );
        assert_eq!(
            Period::Week.bucket(at("2026-11-30T00:00:00Z")).1,
            "2026-11-30"
        );
        assert_eq!(
            Period::Week.bucket(at("2026-11-29T23:59:59Z")).1,
            "2026-11-23"
        );
        assert_eq!(
            Period::Month.bucket(t),
            (at("2026-12-01T00:00:00Z"), "2026-12".into())
        );
    }

    #[test]
    fn counts_quantiles_countries_and_csv() {
        let rows = vec![
            row(
                "2026-12-01T10:00:00Z",
                Some(Outcome::Illegal),
                Some("2026-12-01T11:00:00Z"),
            ),
            row(
                "2026-12-01T12:00:00Z",
                Some(Outcome::Duplicate),
                Some("2026-12-01T12:00:00Z"),
            ),
            row("2026-12-02T09:00:00Z", None, None),
        ];
        let s = Stats::compute(
            &rows,
            at("2026-12-01T00:00:00Z"),
            at("2026-12-04T00:00:00Z"),
            Period::Day,
        );
        assert_eq!(s.buckets.len(), 2);
        assert_eq!(s.buckets[0].counts.reports, 2);
        assert_eq!(s.totals.by_outcome["open"], 1);
        assert_eq!(s.totals.by_category["csam"], 3);
        assert_eq!(s.totals.by_category["terrorism"], 0);
        assert_eq!(s.duplicates, 1);
        assert_eq!(
            s.durations.to_decision,
            Quantiles {
                count: 2,
                median_secs: Some(0),
                p90_secs: Some(3600)
            }
        );
        assert_eq!(s.countries, vec![("NL".into(), 3), ("unknown".into(), 3)]);
        let csv = s.to_csv();
        let mut lines = csv.lines();
        assert_eq!(
            lines.next().unwrap(),
            "period,reports,category_csam,category_other,category_terrorism,source_partner,source_proactive,source_public,outcome_duplicate,outcome_illegal,outcome_not_illegal,outcome_open,outcome_police_only"
        );
        assert_eq!(lines.next().unwrap(), "2026-12-01,2,2,0,0,0,0,2,1,1,0,0,0");
    }
}
