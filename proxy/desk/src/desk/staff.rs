//! Staff accounts: creation, logins with lock-out, API tokens.

use sha2::{Digest as _, Sha256};

use super::{Desk, after, blocking, now};
use crate::accounts;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{Role, User};
use crate::store;

impl Desk {
    /// Create a staff account; returns its API token (shown once; only its
    /// hash is stored).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Invalid`] for a bad name or a password shorter than 12
    /// characters; [`ErrorKind::Conflict`] when the name is taken.
    pub async fn add_user(&self, name: &str, role: Role, password: &str) -> Result<String> {
        accounts::check_name(name)?;
        let password = password.to_owned();
        let hash = blocking(move || accounts::hash_password(&password)).await?;
        let token = accounts::new_token()?;
        let user = User {
            name: name.to_owned(),
            role,
        };
        let mut w = self.inner.store.write().await?;
        store::add_user(w.conn(), &user, &hash, &token_hash(&token), now()).await?;
        store::append_audit(
            w.conn(),
            now(),
            "desk",
            "user-add",
            None,
            &format!("{name} ({role})"),
        )
        .await?;
        w.commit().await?;
        Ok(token)
    }

    /// Check a staff member's password; too many failures lock the account.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Forbidden`] for an unknown name, a wrong password or a
    /// locked account (the message does not say which of the first two).
    pub async fn login(&self, name: &str, password: &str) -> Result<User> {
        let t = now();
        let stored = store::user_by_name(self.inner.store.pool(), name).await?;
        if let Some(until) = stored
            .as_ref()
            .and_then(|s| s.locked_until)
            .filter(|u| *u > t)
        {
            return Err(Error::new(
                ErrorKind::Forbidden,
                format!("this account is locked until {until} after repeated failures"),
            ));
        }
        let phc = stored.as_ref().map(|s| s.password_hash.clone());
        let password = password.to_owned();
        let ok = blocking(move || Ok(accounts::verify_password(phc.as_deref(), &password))).await?;
        let mut w = self.inner.store.write().await?;
        let result = match stored {
            Some(s) if ok => {
                store::login_succeeded(w.conn(), &s.user.name).await?;
                store::append_audit(w.conn(), t, &s.user.name, "login", None, "").await?;
                Ok(s.user)
            }
            Some(s) => {
                let c = &self.inner.config;
                let until = after(t, u64::from(c.lockout_minutes) * 60);
                store::login_failed(w.conn(), &s.user.name, c.max_failed_logins, until).await?;
                store::append_audit(w.conn(), t, &s.user.name, "login-failed", None, "").await?;
                Err(Error::new(ErrorKind::Forbidden, "wrong name or password"))
            }
            None => Err(Error::new(ErrorKind::Forbidden, "wrong name or password")),
        };
        w.commit().await?;
        result
    }

    /// How many staff accounts exist (none: the desk says how to create one).
    ///
    /// # Errors
    ///
    /// The database failed.
    pub async fn user_count(&self) -> Result<u64> {
        store::count_users(self.inner.store.pool()).await
    }

    /// The staff member an API token belongs to.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Forbidden`] for an unknown token.
    pub async fn user_by_token(&self, token: &str) -> Result<User> {
        store::user_by_token_hash(self.inner.store.pool(), &token_hash(token))
            .await?
            .ok_or_else(|| Error::new(ErrorKind::Forbidden, "unknown API token"))
    }
}

fn token_hash(token: &str) -> String {
    hashwall::lists::hex::encode(&Sha256::digest(token.as_bytes()))
}
