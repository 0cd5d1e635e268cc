//! Signing in to the web interface: password checks throttled per account and per address,
//! sessions with a random secret (only its hash is stored) and a CSRF token, idle and absolute
//! expiry, and signing out. The web layer puts the secret in a secure, HttpOnly cookie.

use crate::{Principal, Result, ServiceError, Services};
use chrono::{DateTime, Duration, Utc};
use cirtkit_domain::{User, UserId};
use cirtkit_storage::SessionRecord;
use password_hash::rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// A session ends after this long without use…
pub const SESSION_IDLE: Duration = Duration::hours(12);
/// …and in any case this long after signing in.
pub const SESSION_MAX: Duration = Duration::days(7);

/// Failed sign-ins counted over this window…
const THROTTLE_WINDOW: Duration = Duration::minutes(15);
/// …lock an account after this many…
const MAX_FAILURES_PER_ACCOUNT: usize = 5;
/// …and an address after this many (a shared NAT may hold several people).
const MAX_FAILURES_PER_ADDRESS: usize = 20;

/// A new session: the secret goes into the cookie, the CSRF token into every form.
#[derive(Clone)]
pub struct NewSession {
    pub secret: String,
    pub csrf_token: String,
    pub user: User,
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession").field("user", &self.user.name).field("expires_at", &self.expires_at).finish()
    }
}

/// Where signing in stands after the password.
#[derive(Debug, Clone)]
pub enum LoginStep {
    /// Signed in.
    Signed(NewSession),
    /// The password was right; a code from the user's authenticator comes next, with this
    /// ticket (valid for [`PENDING_LOGIN`]).
    SecondFactor { ticket: String },
}

/// How long the second step of signing in may take.
pub const PENDING_LOGIN: Duration = Duration::minutes(5);

/// Users who gave the right password and owe a second-factor code, by ticket (in memory: a
/// restart only means typing the password again).
#[derive(Debug, Default)]
pub struct PendingLogins {
    tickets: Mutex<HashMap<String, (UserId, DateTime<Utc>)>>,
}

impl PendingLogins {
    fn insert(&self, ticket: &str, user: UserId, now: DateTime<Utc>) {
        let mut map = self.tickets.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, (_, at)| *at + PENDING_LOGIN > now);
        if map.len() < 10_000 {
            map.insert(ticket.to_owned(), (user, now));
        }
    }

    fn get(&self, ticket: &str, now: DateTime<Utc>) -> Option<UserId> {
        let map = self.tickets.lock().unwrap_or_else(|e| e.into_inner());
        map.get(ticket).filter(|(_, at)| *at + PENDING_LOGIN > now).map(|(user, _)| *user)
    }

    fn remove(&self, ticket: &str) {
        self.tickets.lock().unwrap_or_else(|e| e.into_inner()).remove(ticket);
    }
}

/// A live session's principal and the CSRF token its forms must carry.
#[derive(Debug, Clone)]
pub struct SessionPrincipal {
    pub principal: Principal,
    pub csrf_token: String,
}

/// Recent failed sign-ins, per account and per address, kept in memory: each node throttles
/// what it sees (several nodes behind one address share the address budget only per node).
#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
}

impl LoginThrottle {
    fn key_account(name: &str) -> String {
        format!("account:{}", name.trim().to_ascii_lowercase())
    }

    fn key_address(address: &str) -> String {
        format!("address:{address}")
    }

    /// When the account or the address may try again, if either is locked now.
    fn locked_until(&self, name: &str, address: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut until = None;
        for (key, limit) in [
            (Self::key_account(name), MAX_FAILURES_PER_ACCOUNT),
            (Self::key_address(address), MAX_FAILURES_PER_ADDRESS),
        ] {
            if let Some(times) = map.get_mut(&key) {
                while times.front().is_some_and(|t| *t + THROTTLE_WINDOW <= now) {
                    times.pop_front();
                }
                if times.len() >= limit
                    && let Some(oldest) = times.front()
                {
                    let free = *oldest + THROTTLE_WINDOW;
                    until = Some(until.map_or(free, |u: DateTime<Utc>| u.max(free)));
                }
            }
        }
        until
    }

    fn record_failure(&self, name: &str, address: &str, now: DateTime<Utc>) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for key in [Self::key_account(name), Self::key_address(address)] {
            let times = map.entry(key).or_default();
            times.push_back(now);
            // Bounded: never more entries than the largest limit needs.
            while times.len() > MAX_FAILURES_PER_ADDRESS {
                times.pop_front();
            }
        }
        // Bounded memory under a spray of names: forget the oldest keys beyond a cap.
        if map.len() > 100_000 {
            map.retain(|_, times| times.back().is_some_and(|t| *t + THROTTLE_WINDOW > now));
        }
    }

    fn clear_account(&self, name: &str) {
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).remove(&Self::key_account(name));
    }
}

fn random_hex() -> String {
    let mut raw = [0u8; 32];
    OsRng.fill_bytes(&mut raw);
    hex::encode(raw)
}

fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

impl Services {
    /// Signs a user in from `address`: checks the password unless the account or the address
    /// has failed too often lately, then opens a session.
    pub async fn login(&self, name: &str, password: &str, address: &str) -> Result<LoginStep> {
        let now = self.clock().now();
        self.check_throttle(name, address, now)?;
        let principal = match self.authenticate_password(name, password).await {
            Ok(p) => p,
            Err(e) => {
                if matches!(e, ServiceError::Unauthenticated(_)) {
                    self.throttle().record_failure(name, address, now);
                    tracing::warn!(address, "failed sign-in");
                }
                return Err(e);
            }
        };
        let Some(user) = principal.user().cloned() else {
            return Err(ServiceError::Unauthenticated("wrong user name or password".into()));
        };
        if self.has_second_factor(&user).await? {
            // The password was right: the account is not cleared of failures until the code is.
            let ticket = random_hex();
            self.pending_logins().insert(&ticket, user.id, now);
            return Ok(LoginStep::SecondFactor { ticket });
        }
        self.throttle().clear_account(name);
        Ok(LoginStep::Signed(self.open_session(user, address).await?))
    }

    /// The second step of signing in for a user with a second factor: the ticket the first step
    /// gave and a code from the user's authenticator. Wrong codes count as failed sign-ins.
    pub async fn login_second_factor(&self, ticket: &str, code: &str, address: &str) -> Result<NewSession> {
        let now = self.clock().now();
        let expired = || ServiceError::Unauthenticated("the sign-in took too long: enter your password again".into());
        let user_id = self.pending_logins().get(ticket, now).ok_or_else(expired)?;
        let user = self.store().user(user_id).await?.filter(|u| !u.disabled).ok_or_else(expired)?;
        let name = user.name.to_string();
        self.check_throttle(&name, address, now)?;
        if !self.check_totp(&user, code).await? {
            self.throttle().record_failure(&name, address, now);
            tracing::warn!(address, "wrong second-factor code");
            return Err(ServiceError::Unauthenticated("wrong or already used code".into()));
        }
        self.pending_logins().remove(ticket);
        self.throttle().clear_account(&name);
        self.open_session(user, address).await
    }

    fn check_throttle(&self, name: &str, address: &str, now: DateTime<Utc>) -> Result<()> {
        match self.throttle().locked_until(name, address, now) {
            Some(until) => {
                let minutes = (until - now).num_minutes().max(1);
                Err(ServiceError::Unauthenticated(format!("too many failed sign-ins: try again in {minutes} minutes")))
            }
            None => Ok(()),
        }
    }

    async fn open_session(&self, user: User, address: &str) -> Result<NewSession> {
        let now = self.clock().now();
        let secret = random_hex();
        let record = SessionRecord {
            secret_hash: secret_hash(&secret),
            user: user.id,
            csrf_token: random_hex(),
            address: address.to_owned(),
            created_at: now,
            last_seen_at: now,
            expires_at: now + SESSION_IDLE,
        };
        self.store().insert_session(&record).await?;
        let principal = Principal::User(user.clone());
        let mut tx = self.begin(&principal).await?;
        tx.audit("user.login", "user", user.id, None, Some(serde_json::json!({"address": address}))).await?;
        tx.commit().await?;
        Ok(NewSession { secret, csrf_token: record.csrf_token, user, expires_at: record.expires_at })
    }

    /// The principal behind a session cookie, extending the session's idle time. Expired
    /// sessions and disabled users are refused.
    pub async fn session(&self, secret: &str) -> Result<SessionPrincipal> {
        let denied = || ServiceError::Unauthenticated("the session has ended: sign in again".into());
        if secret.len() != 64 {
            return Err(denied());
        }
        let now = self.clock().now();
        let hash = secret_hash(secret);
        let (record, user) = self.store().live_session(&hash, now).await?.ok_or_else(denied)?;
        if user.disabled || now >= record.created_at + SESSION_MAX {
            self.store().delete_session(&hash).await?;
            return Err(denied());
        }
        let expires_at = (now + SESSION_IDLE).min(record.created_at + SESSION_MAX);
        self.store().touch_session(&hash, now, expires_at).await?;
        Ok(SessionPrincipal { principal: Principal::User(user), csrf_token: record.csrf_token })
    }

    /// Signs out: the session ends at once.
    pub async fn logout(&self, secret: &str) -> Result<()> {
        let hash = secret_hash(secret);
        let session = self.store().live_session(&hash, self.clock().now()).await?;
        if self.store().delete_session(&hash).await?
            && let Some((_, user)) = session
        {
            let who = Principal::User(user);
            let mut tx = self.begin(&who).await?;
            tx.audit("user.logout", "user", who.user().map_or(0, |u| u.id.0), None, None).await?;
            tx.commit().await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_throttle_locks_an_account_after_five_failures_for_fifteen_minutes() {
        let t = LoginThrottle::default();
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 8, 0, 0).unwrap();
        for i in 0..5 {
            assert!(t.locked_until("amina", "192.0.2.1", now).is_none(), "attempt {i}");
            t.record_failure("amina", &format!("192.0.2.{i}"), now);
        }
        let until = t.locked_until("Amina", "198.51.100.9", now).unwrap();
        assert_eq!(until, now + THROTTLE_WINDOW, "locked whatever the address");
        assert!(t.locked_until("karim", "198.51.100.9", now).is_none(), "others are not");
        assert!(t.locked_until("amina", "192.0.2.1", now + THROTTLE_WINDOW).is_none(), "the lock passes");
    }

    #[test]
    fn the_throttle_locks_an_address_spraying_names() {
        let t = LoginThrottle::default();
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 8, 0, 0).unwrap();
        for i in 0..MAX_FAILURES_PER_ADDRESS {
            t.record_failure(&format!("user{i}"), "203.0.113.5", now);
        }
        assert!(t.locked_until("someone-new", "203.0.113.5", now).is_some());
        assert!(t.locked_until("someone-new", "203.0.113.6", now).is_none());
    }
}
