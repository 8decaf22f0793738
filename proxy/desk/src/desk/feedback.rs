//! Feedback to the reporter: the address is read by an analyst (audited)
//! and deleted once the feedback is sent — or by the retention rules.

use super::{Desk, now};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{Reference, Status, User};
use crate::store;

impl Desk {
    /// The reporter's e-mail address, for a report that is closed (the
    /// reading is audited).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Conflict`] before the report is closed;
    /// [`ErrorKind::NotFound`] when no address is held.
    pub async fn feedback_address(&self, reference: &Reference, user: &User) -> Result<String> {
        let mut w = self.inner.store.write().await?;
        let report = store::load_report(w.conn(), reference).await?;
        if report.status != Status::Closed {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!("{reference} is not decided yet: feedback follows the decision"),
            ));
        }
        let address = store::email_of(w.conn(), reference).await?.ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("{reference} holds no e-mail address"),
            )
        })?;
        store::append_audit(
            w.conn(),
            now(),
            &user.name,
            "feedback-address",
            Some(reference),
            "",
        )
        .await?;
        w.commit().await?;
        Ok(address)
    }

    /// Feedback was sent: delete the reporter's address now.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NotFound`] when no address was held.
    pub async fn feedback_sent(&self, reference: &Reference, user: &User) -> Result<()> {
        let mut w = self.inner.store.write().await?;
        if !store::delete_email(w.conn(), reference).await? {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("{reference} holds no e-mail address"),
            ));
        }
        store::append_audit(
            w.conn(),
            now(),
            &user.name,
            "feedback-sent",
            Some(reference),
            "address deleted",
        )
        .await?;
        w.commit().await
    }
}
