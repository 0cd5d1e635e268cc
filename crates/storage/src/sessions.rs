//! Storage of the web interface's sessions. Sessions are not audited one by one: signing in and
//! out is recorded by the service as `user.login` / `user.logout` audit entries.

use crate::{Result, Store};
use chrono::{DateTime, Utc};
use cirtkit_domain::{User, UserId};

/// A session as stored (its secret is known only by its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub secret_hash: String,
    pub user: UserId,
    pub csrf_token: String,
    pub address: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

type SessionRow = (String, i64, String, String, DateTime<Utc>, DateTime<Utc>, DateTime<Utc>);

impl Store {
    pub async fn insert_session(&self, s: &SessionRecord) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO sessions (secret_hash, user_id, csrf_token, address, created_at, last_seen_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&s.secret_hash)
            .bind(s.user.0)
            .bind(&s.csrf_token)
            .bind(&s.address)
            .bind(crate::stored_time(s.created_at))
            .bind(crate::stored_time(s.last_seen_at))
            .bind(crate::stored_time(s.expires_at))
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The session with this secret hash and its user, if it has not expired by `now`.
    pub async fn live_session(&self, secret_hash: &str, now: DateTime<Utc>) -> Result<Option<(SessionRecord, User)>> {
        let row: Option<SessionRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT secret_hash, user_id, csrf_token, address, created_at, last_seen_at, expires_at \
                 FROM sessions WHERE secret_hash = $1 AND expires_at > $2",
            )
            .bind(secret_hash)
            .bind(now)
            .fetch_optional(pool)
            .await?
        });
        let Some((secret_hash, user_id, csrf_token, address, created_at, last_seen_at, expires_at)) = row else {
            return Ok(None);
        };
        let Some(user) = self.user(UserId(user_id)).await? else { return Ok(None) };
        let record = SessionRecord {
            secret_hash,
            user: UserId(user_id),
            csrf_token,
            address,
            created_at,
            last_seen_at,
            expires_at,
        };
        Ok(Some((record, user)))
    }

    /// Extends a session that is in use.
    pub async fn touch_session(&self, secret_hash: &str, now: DateTime<Utc>, expires_at: DateTime<Utc>) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE secret_hash = $3")
                .bind(crate::stored_time(now))
                .bind(crate::stored_time(expires_at))
                .bind(secret_hash)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Ends one session; returns whether there was one.
    pub async fn delete_session(&self, secret_hash: &str) -> Result<bool> {
        let n = on_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE secret_hash = $1").bind(secret_hash).execute(pool).await?.rows_affected()
        });
        Ok(n > 0)
    }

    /// Ends every session of a user (a disabled account, a changed password).
    pub async fn delete_user_sessions(&self, user: UserId) -> Result<u64> {
        let n = on_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user.0).execute(pool).await?.rows_affected()
        });
        Ok(n)
    }

    /// Forgets sessions that expired before `now`.
    pub async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        let n = on_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(pool).await?.rows_affected()
        });
        Ok(n)
    }
}
