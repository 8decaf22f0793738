//! The assessment rules, as pure functions from a report's state to its
//! next state: who may open, assess, confirm, resolve and record a
//! takedown, and what each does. No storage here — [`crate::desk`] loads
//! the report, applies a rule inside a transaction and writes the result
//! only if the report is still in the state the rule saw.
//!
//! Four eyes: an "illegal" assessment lists nothing until a different
//! analyst confirms it; a disagreement goes to a supervisor who is not the
//! assessor.

use hashwall::lists::Timestamp;

use crate::error::{Error, ErrorKind, Result};
use crate::model::{Decision, Outcome, Report, Role, Status, TakedownEvent, User};

fn forbidden(m: impl Into<String>) -> Error {
    Error::new(ErrorKind::Forbidden, m)
}

fn conflict(report: &Report, action: &str) -> Error {
    Error::new(
        ErrorKind::Conflict,
        format!(
            "{} is {}: it cannot be {action} now",
            report.reference,
            report.status.as_str().replace('_', " ")
        ),
    )
}

fn holds_lock(report: &Report, user: &User, now: Timestamp) -> bool {
    report.locked_by.as_deref() == Some(user.name.as_str())
        && report.locked_until.is_some_and(|u| u >= now)
}

/// Open a report for assessment: lock it to `user` until `until`. A
/// report past assessment opens without a lock (to confirm, resolve or
/// follow its takedown); `None` then.
///
/// # Errors
///
/// [`ErrorKind::Forbidden`] while another analyst's lock holds.
pub fn open(
    report: &Report,
    user: &User,
    now: Timestamp,
    until: Timestamp,
) -> Result<Option<Report>> {
    if !matches!(report.status, Status::Received | Status::Assessing) {
        return Ok(None);
    }
    if let (Some(holder), Some(end)) = (&report.locked_by, report.locked_until)
        && holder != &user.name
        && end >= now
    {
        return Err(forbidden(format!(
            "{} is being assessed by {holder} until {end}",
            report.reference
        )));
    }
    let mut next = report.clone();
    next.status = Status::Assessing;
    next.locked_by = Some(user.name.clone());
    next.locked_until = Some(until);
    Ok(Some(next))
}

/// Record `user`'s assessment. "Illegal" waits for a second analyst;
/// every other decision closes the report.
///
/// # Errors
///
/// [`ErrorKind::Conflict`] when the report is past assessment;
/// [`ErrorKind::Forbidden`] when `user` does not hold its lock;
/// [`ErrorKind::Invalid`] for a report called a duplicate of itself.
pub fn assess(report: &Report, user: &User, decision: Decision, now: Timestamp) -> Result<Report> {
    if !matches!(report.status, Status::Received | Status::Assessing) {
        return Err(conflict(report, "assessed"));
    }
    if !holds_lock(report, user, now) {
        return Err(forbidden(format!(
            "open {} first: a report is assessed by the analyst holding it",
            report.reference
        )));
    }
    if let Decision::Duplicate { of } = &decision
        && of == &report.reference
    {
        return Err(Error::new(
            ErrorKind::Invalid,
            "a report cannot duplicate itself",
        ));
    }
    let mut next = report.clone();
    next.locked_by = None;
    next.locked_until = None;
    next.assessed_by = Some(user.name.clone());
    if matches!(decision, Decision::Illegal { .. }) {
        next.status = Status::AwaitingConfirmation;
    } else {
        next.status = Status::Closed;
        next.outcome = Some(decision.outcome());
        next.decided_at = Some(now);
    }
    next.proposed = Some(decision);
    Ok(next)
}

/// A second analyst agrees (the report closes as illegal; the caller lists
/// it) or disagrees (it goes to a supervisor).
///
/// # Errors
///
/// [`ErrorKind::Conflict`] when nothing waits for confirmation;
/// [`ErrorKind::Forbidden`] when `user` made the assessment.
pub fn confirm(report: &Report, user: &User, agree: bool, now: Timestamp) -> Result<Report> {
    if report.status != Status::AwaitingConfirmation {
        return Err(conflict(report, "confirmed"));
    }
    if report.assessed_by.as_deref() == Some(user.name.as_str()) {
        return Err(forbidden(format!(
            "four eyes: {} was assessed by {}; another analyst must confirm it",
            report.reference, user.name
        )));
    }
    let mut next = report.clone();
    if agree {
        next.status = Status::Closed;
        next.outcome = Some(Outcome::Illegal);
        next.confirmed_by = Some(user.name.clone());
        next.decided_at = Some(now);
        next.listed_at = Some(now);
    } else {
        next.status = Status::Disputed;
    }
    Ok(next)
}

/// A supervisor settles a disagreement with `decision`.
///
/// # Errors
///
/// [`ErrorKind::Forbidden`] for an analyst, or for the assessor;
/// [`ErrorKind::Conflict`] when the report is not disputed.
pub fn resolve(report: &Report, user: &User, decision: Decision, now: Timestamp) -> Result<Report> {
    if user.role != Role::Supervisor {
        return Err(forbidden("only a supervisor settles a disagreement"));
    }
    if report.status != Status::Disputed {
        return Err(conflict(report, "resolved"));
    }
    if report.assessed_by.as_deref() == Some(user.name.as_str()) {
        return Err(forbidden(format!(
            "four eyes: {} assessed {}; another supervisor must settle it",
            user.name, report.reference
        )));
    }
    let mut next = report.clone();
    next.status = Status::Closed;
    next.outcome = Some(decision.outcome());
    next.confirmed_by = Some(user.name.clone());
    next.decided_at = Some(now);
    if matches!(decision, Decision::Illegal { .. }) {
        next.listed_at = Some(now);
    }
    next.proposed = Some(decision);
    Ok(next)
}

/// Record a notice-and-takedown event on a report decided illegal.
///
/// # Errors
///
/// [`ErrorKind::Conflict`] for a report that is not closed as illegal.
pub fn takedown(report: &Report, event: TakedownEvent, now: Timestamp) -> Result<Report> {
    if report.outcome != Some(Outcome::Illegal) {
        return Err(Error::new(
            ErrorKind::Conflict,
            format!(
                "{}: takedown is tracked for reports decided illegal",
                report.reference
            ),
        ));
    }
    let mut next = report.clone();
    match event {
        TakedownEvent::HostNotified => next.notified_at = Some(next.notified_at.unwrap_or(now)),
        TakedownEvent::ContentRemoved => next.removed_at = Some(next.removed_at.unwrap_or(now)),
        TakedownEvent::StillOnline => next.still_online_at = Some(now),
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Category, ListedKind, Reference, Source};

    fn t(s: i64) -> Timestamp {
        Timestamp::from_unix_seconds(s)
    }

    fn user(name: &str, role: Role) -> User {
        User {
            name: name.into(),
            role,
        }
    }

    fn report() -> Report {
        Report {
            reference: Reference::random().unwrap(),
            category: Category::Csam,
            source: Source::Public,
            description: String::new(),
            has_email: false,
            status: Status::Received,
            outcome: None,
            received_at: t(0),
            decided_at: None,
            listed_at: None,
            locked_by: None,
            locked_until: None,
            assessed_by: None,
            proposed: None,
            confirmed_by: None,
            notified_at: None,
            removed_at: None,
            still_online_at: None,
            duplicate_count: 0,
            urls: Vec::new(),
        }
    }

    fn illegal() -> Decision {
        Decision::Illegal {
            category: Category::Csam,
            kind: ListedKind::Url,
            value: "bad.example/x".into(),
        }
    }

    #[test]
    fn four_eyes_and_locks() {
        let (ann, bob) = (user("ann", Role::Analyst), user("bob", Role::Analyst));
        let r = report();
        // Not opened: refused.
        assert_eq!(
            assess(&r, &ann, illegal(), t(1)).unwrap_err().kind(),
            ErrorKind::Forbidden
        );
        let r = open(&r, &ann, t(1), t(100)).unwrap().unwrap();
        // Bob cannot take Ann's lock until it expires.
        assert_eq!(
            open(&r, &bob, t(50), t(150)).unwrap_err().kind(),
            ErrorKind::Forbidden
        );
        assert!(open(&r, &bob, t(101), t(200)).is_ok());
        // Ann's lock expired: her assessment is refused then.
        assert_eq!(
            assess(&r, &ann, illegal(), t(101)).unwrap_err().kind(),
            ErrorKind::Forbidden
        );
        let r = assess(&r, &ann, illegal(), t(2)).unwrap();
        assert_eq!((r.status, r.outcome), (Status::AwaitingConfirmation, None));
        // Ann cannot confirm her own assessment.
        assert_eq!(
            confirm(&r, &ann, true, t(3)).unwrap_err().kind(),
            ErrorKind::Forbidden
        );
        let done = confirm(&r, &bob, true, t(3)).unwrap();
        assert_eq!(
            (done.status, done.outcome),
            (Status::Closed, Some(Outcome::Illegal))
        );
        assert_eq!(done.confirmed_by.as_deref(), Some("bob"));
        assert_eq!(
            confirm(&done, &bob, true, t(4)).unwrap_err().kind(),
            ErrorKind::Conflict
        );
    }

    #[test]
    fn disagreement_goes_to_a_supervisor_who_is_not_the_assessor() {
        let (ann, bob) = (user("ann", Role::Supervisor), user("bob", Role::Analyst));
        let sue = user("sue", Role::Supervisor);
        let r = open(&report(), &ann, t(1), t(100)).unwrap().unwrap();
        let r = assess(&r, &ann, illegal(), t(2)).unwrap();
        let r = confirm(&r, &bob, false, t(3)).unwrap();
        assert_eq!(r.status, Status::Disputed);
        assert_eq!(
            resolve(&r, &bob, illegal(), t(4)).unwrap_err().kind(),
            ErrorKind::Forbidden
        );
        assert_eq!(
            resolve(&r, &ann, illegal(), t(4)).unwrap_err().kind(),
            ErrorKind::Forbidden
        );
        let r = resolve(&r, &sue, Decision::NotIllegal, t(4)).unwrap();
        assert_eq!(
            (r.status, r.outcome),
            (Status::Closed, Some(Outcome::NotIllegal))
        );
        assert_eq!(
            takedown(&r, TakedownEvent::HostNotified, t(5))
                .unwrap_err()
                .kind(),
            ErrorKind::Conflict
        );
    }

    #[test]
    fn other_decisions_close_at_once_and_takedown_keeps_first_times() {
        let ann = user("ann", Role::Analyst);
        let r = open(&report(), &ann, t(1), t(100)).unwrap().unwrap();
        let closed = assess(&r, &ann, Decision::PoliceOnly, t(2)).unwrap();
        assert_eq!(
            (closed.status, closed.outcome),
            (Status::Closed, Some(Outcome::PoliceOnly))
        );
        let me = Decision::Duplicate {
            of: r.reference.clone(),
        };
        assert_eq!(
            assess(&r, &ann, me, t(2)).unwrap_err().kind(),
            ErrorKind::Invalid
        );
        let bob = user("bob", Role::Analyst);
        let r = confirm(
            &assess(&r, &ann, illegal(), t(2)).unwrap(),
            &bob,
            true,
            t(3),
        )
        .unwrap();
        let r = takedown(&r, TakedownEvent::HostNotified, t(10)).unwrap();
        let r = takedown(&r, TakedownEvent::HostNotified, t(20)).unwrap();
        assert_eq!(r.notified_at, Some(t(10)));
        let r = takedown(&r, TakedownEvent::ContentRemoved, t(30)).unwrap();
        assert_eq!(r.removed_at, Some(t(30)));
    }
}
