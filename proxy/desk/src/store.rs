//! Storage over SQLite or PostgreSQL.

/// Opened by [`crate::store`]'s owner; filled in by the store module.
pub fn sqlx_linked() -> bool {
    let _ = sqlx::any::install_default_drivers;
    let _ = argon2::Argon2::default();
    true
}
