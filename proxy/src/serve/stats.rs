//! Match statistics for `GET /stats`: matches per list, category and action
//! per hour, kept for a retention window. Counts only, never URLs or
//! subscribers.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use hashwall_lists::Timestamp;
use serde_json::{Value, json};

type Key = (String, String, &'static str);

/// Hourly match counts.
#[derive(Debug)]
pub struct Stats {
    retention_hours: i64,
    hours: Mutex<BTreeMap<i64, HashMap<Key, u64>>>,
}

impl Stats {
    /// Keeps `retention_days` of hourly counts.
    pub fn new(retention_days: u32) -> Stats {
        Stats {
            retention_hours: i64::from(retention_days) * 24,
            hours: Mutex::new(BTreeMap::new()),
        }
    }

    /// Counts a match now.
    pub fn record(&self, list: &str, category: &str, action: &'static str) {
        self.record_at(Timestamp::now().unix_seconds(), list, category, action);
    }

    fn record_at(&self, unix: i64, list: &str, category: &str, action: &'static str) {
        let hour = unix.div_euclid(3600);
        let Ok(mut hours) = self.hours.lock() else {
            return;
        };
        if !hours.contains_key(&hour) {
            // A new hour: drop the ones past retention (once an hour).
            let keep = hours.split_off(&(hour - self.retention_hours + 1));
            *hours = keep;
        }
        *hours
            .entry(hour)
            .or_default()
            .entry((list.to_owned(), category.to_owned(), action))
            .or_default() += 1;
    }

    /// The JSON document: retention and one object per hour, list, category
    /// and action with a count.
    pub fn to_json(&self) -> Value {
        let now_hour = Timestamp::now().unix_seconds().div_euclid(3600);
        let mut rows = Vec::new();
        if let Ok(hours) = self.hours.lock() {
            for (hour, counts) in hours.range(now_hour - self.retention_hours + 1..) {
                let mut sorted: Vec<_> = counts.iter().collect();
                sorted.sort();
                for ((list, category, action), n) in sorted {
                    rows.push(json!({
                        "hour": Timestamp::from_unix_seconds(hour * 3600).to_string(),
                        "list": list,
                        "category": category,
                        "action": action,
                        "matches": n,
                    }));
                }
            }
        }
        json!({
            "retention_hours": self.retention_hours,
            "hourly": rows,
        })
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
        assert_eq!(s.hours.lock().map(|h| h.len()).unwrap_or(0), 2);
        s.record_at(3600 * 30, "b", "other", "block");
        let hours = s.hours.lock().map(|h| h.len()).unwrap_or(0);
        assert_eq!(hours, 1);
    }
}
