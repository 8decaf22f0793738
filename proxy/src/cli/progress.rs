//! Progress on standard error for the long `hashwall lists` operations:
//! shown only when standard error is a terminal and `--quiet` was not
//! given, so scripts, pipes and logs never see it.
//!
//! Drawn by `indicatif` (its standard-error target draws nothing when
//! standard error is not a terminal): one line, `label done/total (pct%)
//! 1.2s`, redrawn at most ten times a second and kept moving by a steady
//! tick during long library calls that report no steps (loading and
//! verifying a list, applying a delta). The text of the line is a pure
//! function of the count and the time, unit-tested below.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle, WeakProgressBar};

static QUIET: AtomicBool = AtomicBool::new(false);

/// The progress line being shown, if any, so that [`message`] and [`hide`]
/// can reach it from code that does not hold the [`Progress`].
static ACTIVE: Mutex<Option<WeakProgressBar>> = Mutex::new(None);

/// How often the line is redrawn at most (and the steady tick's period).
pub const REDRAW_INTERVAL: Duration = Duration::from_millis(100);

fn active() -> Option<ProgressBar> {
    ACTIVE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
        .and_then(WeakProgressBar::upgrade)
}

/// Print a line on standard error (a warning, an error) without mangling a
/// progress line being shown: it is taken off first and redrawn after.
pub fn message(line: &str) {
    match active() {
        Some(pb) => pb.suspend(|| eprintln!("{line}")),
        None => eprintln!("{line}"),
    }
}

/// Take the progress line off the screen for good, before results go to
/// standard output (on a terminal both share the screen). Later updates
/// draw nothing; the operation goes on.
pub fn hide() {
    if let Some(pb) = active() {
        stop(&pb);
    }
}

fn stop(pb: &ProgressBar) {
    pb.disable_steady_tick();
    pb.finish_and_clear();
    pb.set_draw_target(ProgressDrawTarget::hidden());
}

/// `--quiet`: never show progress.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// What follows the label: ` done/total (pct%)` when a total is known,
/// ` done` when only a count is, `…` before anything is counted.
fn count(done: u64, total: Option<u64>, out: &mut dyn std::fmt::Write) {
    let _ = match total {
        Some(t) if t > 0 => {
            let pct = (done.min(t) as f64 * 100.0 / t as f64).floor();
            write!(out, " {done}/{t} ({pct:.0}%)")
        }
        _ if done > 0 => write!(out, " {done}"),
        _ => out.write_str("…"),
    };
}

/// The elapsed time, `1.2s`.
fn seconds(elapsed: Duration, out: &mut dyn std::fmt::Write) {
    let _ = write!(out, "{:.1}s", elapsed.as_secs_f64());
}

/// The line's style: label, count and elapsed time, drawn by `indicatif`.
fn style() -> ProgressStyle {
    let style = ProgressStyle::with_template("{msg}{count} {seconds}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    style
        .with_key("count", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            count(s.pos(), s.len(), w);
        })
        .with_key(
            "seconds",
            |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                seconds(s.elapsed(), w);
            },
        )
}

/// A progress line on standard error; inert when standard error is not a
/// terminal or `--quiet` was given. Cleared when dropped.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// Start a progress line with `label` and, if known, the total count.
    pub fn start(label: &str, total: Option<u64>) -> Progress {
        let target = if QUIET.load(Ordering::Relaxed) {
            ProgressDrawTarget::hidden()
        } else {
            // Draws nothing when standard error is not a terminal.
            ProgressDrawTarget::stderr_with_hz(10)
        };
        let bar = ProgressBar::with_draw_target(total, target).with_style(style());
        bar.set_message(label.to_owned());
        if !bar.is_hidden() {
            *ACTIVE.lock().unwrap_or_else(PoisonError::into_inner) = Some(bar.downgrade());
            // Drawn at once, then kept moving during long library calls
            // that report no steps.
            bar.tick();
            bar.enable_steady_tick(REDRAW_INTERVAL);
        }
        Progress { bar }
    }

    /// A new stage of the operation: the label changes, the count restarts.
    pub fn stage(&self, label: &str, total: Option<u64>) {
        match total {
            Some(t) => self.bar.set_length(t),
            None => self.bar.unset_length(),
        }
        self.bar.set_position(0);
        self.bar.set_message(label.to_owned());
    }

    /// Print a message line on standard error without mangling the
    /// progress line: it is taken off first and redrawn after.
    pub fn note(&self, message: &str) {
        self.bar.suspend(|| eprintln!("{message}"));
    }

    /// `n` more items done (redrawn at most every [`REDRAW_INTERVAL`]).
    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if !self.bar.is_hidden() {
            *ACTIVE.lock().unwrap_or_else(PoisonError::into_inner) = None;
        }
        stop(&self.bar);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The progress line: `label`, then `done/total (pct%)` when a total is
    /// known, or `done` when only a count is, then the elapsed time.
    fn render(label: &str, done: u64, total: Option<u64>, elapsed: Duration) -> String {
        let mut line = label.to_owned();
        count(done, total, &mut line);
        line.push(' ');
        seconds(elapsed, &mut line);
        line
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
}
