//! Match statistics for `GET /stats`: matches per list, category and action
//! per hour, kept for a retention window. Counts only, never URLs or
//! subscribers.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use dashmap::DashMap;
use hashwall_lists::Timestamp;
use serde_json::{Value, json};

/// One counter: the hour (Unix seconds / 3600), list, category and action.
type Key = (i64, String, String, &'static str);

/// Hourly match counts, recorded from every proxy thread at once: a sharded
/// concurrent map (`dashmap`), so threads counting matches of different
/// lists or hours do not wait for each other, and a count is an atomic add.
#[derive(Debug)]
pub struct Stats {
    retention_hours: i64,
    counts: DashMap<Key, AtomicU64>,
    /// The latest hour recorded: when it changes, hours past retention are
    /// dropped (once an hour).
    latest_hour: AtomicI64,
}

impl Stats {
    /// Keeps `retention_days` of hourly counts.
    pub fn new(retention_days: u32) -> Stats {
        Stats {
            retention_hours: i64::from(retention_days) * 24,
            counts: DashMap::new(),
            latest_hour: AtomicI64::new(i64::MIN),
        }
    }

    /// Counts a match now.
    pub fn record(&self, list: &str, category: &str, action: &'static str) {
        self.record_at(Timestamp::now().unix_seconds(), list, category, action);
    }

    fn record_at(&self, unix: i64, list: &str, category: &str, action: &'static str) {
        let hour = unix.div_euclid(3600);
        if self.latest_hour.fetch_max(hour, Ordering::Relaxed) < hour {
            let oldest = hour - self.retention_hours + 1;
            self.counts.retain(|k, _| k.0 >= oldest);
        }
        let key = (hour, list.to_owned(), category.to_owned(), action);
        if let Some(n) = self.counts.get(&key) {
            n.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.counts
            .entry(key)
            .or_default()
            .fetch_add(1, Ordering::Relaxed);
    }

    /// The JSON document: retention and one object per hour, list, category
    /// and action with a count, in that order.
    pub fn to_json(&self) -> Value {
        let now_hour = Timestamp::now().unix_seconds().div_euclid(3600);
        let oldest = now_hour - self.retention_hours + 1;
        let mut counted: Vec<(Key, u64)> = self
            .counts
            .iter()
            .filter(|e| e.key().0 >= oldest)
            .map(|e| (e.key().clone(), e.value().load(Ordering::Relaxed)))
            .collect();
        counted.sort();
        let rows: Vec<Value> = counted
            .into_iter()
            .map(|((hour, list, category, action), n)| {
                json!({
                    "hour": Timestamp::from_unix_seconds(hour * 3600).to_string(),
                    "list": list,
                    "category": category,
                    "action": action,
                    "matches": n,
                })
            })
            .collect();
        json!({
            "retention_hours": self.retention_hours,
            "hourly": rows,
        })
    }

    /// How many hours hold counts.
    #[cfg(test)]
    fn hours(&self) -> usize {
        let mut hours: Vec<i64> = self.counts.iter().map(|e| e.key().0).collect();
        hours.sort_unstable();
        hours.dedup();
        hours.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hourly_and_pruned() {
        let s = Stats::new(1);
        s.record_at(0, "a", "csam", "block");
        s.record_at(10, "a", "csam", "block");
        s.record_at(3600, "a", "csam", "monitor");
        assert_eq!(s.hours(), 2);
        s.record_at(3600 * 30, "b", "other", "block");
        assert_eq!(s.hours(), 1);
    }

    #[test]
    fn counts_from_many_threads_add_up() {
        let s = Stats::new(30);
        let hour = Timestamp::now().unix_seconds();
        std::thread::scope(|scope| {
            for t in 0..8 {
                let s = &s;
                scope.spawn(move || {
                    for i in 0..1000 {
                        let list = if (i + t) % 2 == 0 { "a" } else { "b" };
                        s.record_at(hour, list, "csam", "block");
                    }
                });
            }
        });
        let doc = s.to_json();
        let total: u64 = doc["hourly"]
            .as_array()
            .map(|rows| rows.iter().filter_map(|r| r["matches"].as_u64()).sum())
            .unwrap_or(0);
        assert_eq!(total, 8000);
        assert_eq!(doc["hourly"][0]["list"], "a");
        assert_eq!(doc["hourly"][0]["matches"], 4000);
    }
}
