//! Progress on standard error for the long `hashwall lists` operations:
//! shown only when standard error is a terminal and `--quiet` was not
//! given, so scripts, pipes and logs never see it.
//!
//! Hand-made rather than `indicatif`: one line redrawn in place with `\r`
//! is all we need, and `indicatif` would bring `console`, `unicode-width`
//! and `portable-atomic` into a binary that otherwise has no terminal
//! dependencies (and is not in this machine's offline crate cache). The
//! pieces that could go wrong — the text of the line and the redraw
//! throttle — are pure functions, unit-tested below.
//!
//! Library calls that take long without reporting steps (loading and
//! verifying a list, applying a delta) are covered by a ticker thread that
//! redraws the elapsed time while the stage runs.

use std::io::{IsTerminal as _, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

static QUIET: AtomicBool = AtomicBool::new(false);

/// The progress line being shown, if any, so that [`message`] can print
/// around it from code that does not hold the [`Progress`].
static ACTIVE: Mutex<Option<std::sync::Weak<Shared>>> = Mutex::new(None);

/// Print a line on standard error (a warning, an error) without mangling a
/// progress line being shown: it is blanked first and redrawn after.
pub fn message(line: &str) {
    let active = ACTIVE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
        .and_then(std::sync::Weak::upgrade);
    match active {
        Some(s) => note_on(&s, line),
        None => eprintln!("{line}"),
    }
}

/// Take the progress line off the screen for good, before results go to
/// standard output (on a terminal both share the screen). Later updates
/// draw nothing; the operation goes on.
pub fn hide() {
    let active = ACTIVE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
        .and_then(std::sync::Weak::upgrade);
    if let Some(s) = active {
        {
            let mut st = s.state.lock().unwrap_or_else(PoisonError::into_inner);
            st.stopped = true;
            st.clear(&mut std::io::stderr().lock());
        }
        s.wake.notify_all();
    }
}

fn note_on(s: &Shared, line: &str) {
    let mut st = s.state.lock().unwrap_or_else(PoisonError::into_inner);
    let mut err = std::io::stderr().lock();
    st.clear(&mut err);
    let _ = writeln!(err, "{line}");
    if !st.stopped {
        st.draw(&mut err);
    }
}

/// `--quiet`: never show progress.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// How often the line is redrawn at most (and the ticker's period).
pub const REDRAW_INTERVAL: Duration = Duration::from_millis(100);

/// Whether a redraw is due: the first always, then at most one per
/// `interval`.
#[derive(Debug, Clone, Copy)]
pub struct Throttle {
    interval: Duration,
    last: Option<Instant>,
}

impl Throttle {
    /// A throttle letting one redraw through per `interval`.
    pub fn new(interval: Duration) -> Throttle {
        Throttle {
            interval,
            last: None,
        }
    }

    /// Whether to redraw at `now`; if so, `now` becomes the last redraw.
    pub fn ready(&mut self, now: Instant) -> bool {
        let due = self
            .last
            .is_none_or(|last| now.saturating_duration_since(last) >= self.interval);
        if due {
            self.last = Some(now);
        }
        due
    }
}

/// The progress line: `label`, then `done/total (pct%)` when a total is
/// known, or `done` when only a count is, then the elapsed time.
pub fn render(label: &str, done: u64, total: Option<u64>, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    match total {
        Some(t) if t > 0 => {
            let pct = (done.min(t) as f64 * 100.0 / t as f64).floor();
            format!("{label} {done}/{t} ({pct:.0}%) {secs:.1}s")
        }
        _ if done > 0 => format!("{label} {done} {secs:.1}s"),
        _ => format!("{label}… {secs:.1}s"),
    }
}

struct State {
    label: String,
    done: u64,
    total: Option<u64>,
    started: Instant,
    throttle: Throttle,
    /// Characters of the line last drawn, to blank it out.
    drawn: usize,
    stopped: bool,
}

impl State {
    fn draw(&mut self, out: &mut dyn Write) {
        if self.stopped {
            return;
        }
        let line = render(&self.label, self.done, self.total, self.started.elapsed());
        let width = line.chars().count();
        let pad = self.drawn.saturating_sub(width);
        let _ = write!(out, "\r{line}{:pad$}", "");
        let _ = out.flush();
        self.drawn = width;
    }

    fn clear(&mut self, out: &mut dyn Write) {
        if self.drawn > 0 {
            let _ = write!(out, "\r{:w$}\r", "", w = self.drawn);
            let _ = out.flush();
            self.drawn = 0;
        }
    }
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

/// A progress line on standard error; inert when standard error is not a
/// terminal or `--quiet` was given. Cleared when dropped.
pub struct Progress {
    shared: Option<Arc<Shared>>,
    ticker: Option<JoinHandle<()>>,
}

impl Progress {
    /// Start a progress line with `label` and, if known, the total count.
    pub fn start(label: &str, total: Option<u64>) -> Progress {
        let enabled = !QUIET.load(Ordering::Relaxed) && std::io::stderr().is_terminal();
        if !enabled {
            return Progress {
                shared: None,
                ticker: None,
            };
        }
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                label: label.to_owned(),
                done: 0,
                total,
                started: Instant::now(),
                throttle: Throttle::new(REDRAW_INTERVAL),
                drawn: 0,
                stopped: false,
            }),
            wake: Condvar::new(),
        });
        *ACTIVE.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::downgrade(&shared));
        // Drawn at once, so the line is there however quick the ticker.
        shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .draw(&mut std::io::stderr().lock());
        let s = Arc::clone(&shared);
        // The ticker keeps the elapsed time moving during long library
        // calls; without a thread it would stand still until the next step.
        let ticker = std::thread::Builder::new()
            .name("progress".into())
            .spawn(move || {
                let mut st = s.state.lock().unwrap_or_else(PoisonError::into_inner);
                while !st.stopped {
                    st = s
                        .wake
                        .wait_timeout(st, REDRAW_INTERVAL)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                    st.draw(&mut std::io::stderr().lock());
                }
            })
            .ok();
        Progress {
            shared: Some(shared),
            ticker,
        }
    }

    fn with(&self, f: impl FnOnce(&mut State)) {
        if let Some(s) = &self.shared {
            f(&mut s.state.lock().unwrap_or_else(PoisonError::into_inner));
        }
    }

    /// A new stage of the operation: the label changes, the count restarts.
    pub fn stage(&self, label: &str, total: Option<u64>) {
        self.with(|st| {
            st.label = label.to_owned();
            st.done = 0;
            st.total = total;
            st.draw(&mut std::io::stderr().lock());
        });
    }

    /// Print a message line on standard error without mangling the
    /// progress line: it is blanked first and redrawn after.
    pub fn note(&self, message: &str) {
        match &self.shared {
            Some(s) => note_on(s, message),
            None => eprintln!("{message}"),
        }
    }

    /// `n` more items done (redrawn at most every [`REDRAW_INTERVAL`]).
    pub fn inc(&self, n: u64) {
        self.with(|st| {
            st.done = st.done.saturating_add(n);
            if st.throttle.ready(Instant::now()) {
                st.draw(&mut std::io::stderr().lock());
            }
        });
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(s) = &self.shared {
            {
                let mut st = s.state.lock().unwrap_or_else(PoisonError::into_inner);
                st.stopped = true;
                st.clear(&mut std::io::stderr().lock());
            }
            s.wake.notify_all();
        }
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_lets_one_redraw_per_interval() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut t = Throttle::new(ms(100));
        assert!(t.ready(t0), "the first redraw is immediate");
        assert!(!t.ready(t0 + ms(50)));
        assert!(!t.ready(t0 + ms(99)));
        assert!(t.ready(t0 + ms(100)));
        assert!(!t.ready(t0 + ms(150)));
        assert!(t.ready(t0 + ms(250)));
        // A clock going backwards never panics and never floods.
        assert!(!t.ready(t0));
        // Of 10 000 updates 1 ms apart, about one in 100 is drawn.
        let mut t = Throttle::new(ms(100));
        let drawn = (0..10_000).filter(|i| t.ready(t0 + ms(*i))).count();
        assert_eq!(drawn, 100);
    }

    #[test]
    fn lines() {
        let s = Duration::from_millis(1234);
        assert_eq!(
            render("hashing images", 3, Some(40), s),
            "hashing images 3/40 (7%) 1.2s"
        );
        assert_eq!(render("x", 40, Some(40), s), "x 40/40 (100%) 1.2s");
        // More done than announced: capped at 100 %.
        assert_eq!(render("x", 41, Some(40), s), "x 41/40 (100%) 1.2s");
        assert_eq!(render("reading", 0, None, s), "reading… 1.2s");
        assert_eq!(render("reading", 0, Some(0), s), "reading… 1.2s");
        assert_eq!(render("lines", 7, None, s), "lines 7 1.2s");
    }

    #[test]
    fn redraw_blanks_a_longer_previous_line() {
        let mut st = State {
            label: "a long label".into(),
            done: 0,
            total: None,
            started: Instant::now(),
            throttle: Throttle::new(REDRAW_INTERVAL),
            drawn: 0,
            stopped: false,
        };
        let mut out = Vec::new();
        st.draw(&mut out);
        let first = String::from_utf8(out.clone()).unwrap_or_default();
        assert!(first.starts_with("\ra long label… "), "{first:?}");
        st.label = "b".into();
        out.clear();
        st.draw(&mut out);
        let second = String::from_utf8(out.clone()).unwrap_or_default();
        assert!(second.starts_with("\rb… "), "{second:?}");
        assert_eq!(second.chars().count(), first.chars().count());
        // Clearing blanks the text of the last line (its padding is blank
        // already).
        let text = second.trim_end().chars().count() - 1;
        out.clear();
        st.clear(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap_or_default(),
            format!("\r{:w$}\r", "", w = text)
        );
        assert_eq!(st.drawn, 0);
    }
}
