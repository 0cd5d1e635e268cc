//! Storage of user accounts and API tokens. Passwords and tokens arrive here already hashed.

use crate::{Result, StorageError, Store, WriteTx};
use chrono::{DateTime, Utc};
use cirtkit_domain::{EmailAddress, Language, OrganisationId, Role, TokenId, User, UserId, UserName};
use serde::Serialize;
use sqlx::Row;

/// A user with the secret the service needs to check a password.
#[derive(Debug, Clone)]
pub struct StoredUser {
    pub user: User,
    pub password_hash: Option<String>,
    /// The base32 TOTP secret when the user has a second factor.
    pub totp_secret: Option<String>,
}

/// An API token, without its secret (only its hash is stored, and never shown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRecord {
    pub id: TokenId,
    pub user: UserId,
    pub user_name: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const USER_COLUMNS: &str = "u.id, u.name, u.display_name, u.email, u.role, u.organisation_id, u.language, u.disabled, u.created_at, u.password_hash, u.totp_secret";

macro_rules! user_row {
    ($r:expr) => {{
        let r = $r;
        let email: Option<String> = r.try_get("email")?;
        let role: String = r.try_get("role")?;
        let org: Option<i64> = r.try_get("organisation_id")?;
        StoredUser {
            user: User {
                id: UserId(r.try_get("id")?),
                name: r.try_get::<String, _>("name")?.parse::<UserName>()?,
                display_name: r.try_get("display_name")?,
                email: email.map(|e| e.parse::<EmailAddress>()).transpose()?,
                role: Role::from_parts(&role, org.map(OrganisationId))?,
                language: r.try_get::<String, _>("language")?.parse::<Language>()?,
                disabled: r.try_get("disabled")?,
                created_at: r.try_get("created_at")?,
            },
            password_hash: r.try_get("password_hash")?,
            totp_secret: r.try_get("totp_secret")?,
        }
    }};
}

macro_rules! token_row {
    ($r:expr) => {{
        let r = $r;
        TokenRecord {
            id: TokenId(r.try_get("id")?),
            user: UserId(r.try_get("user_id")?),
            user_name: r.try_get("user_name")?,
            name: r.try_get("name")?,
            created_at: r.try_get("created_at")?,
            last_used_at: r.try_get("last_used_at")?,
            revoked_at: r.try_get("revoked_at")?,
        }
    }};
}

const TOKEN_SELECT: &str = "SELECT t.id, t.user_id, u.name AS user_name, t.name, t.created_at, t.last_used_at, t.revoked_at \
     FROM api_tokens t JOIN users u ON u.id = t.user_id";

impl Store {
    pub async fn users(&self) -> Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.name");
        on_pool!(self, pool => {
            let rows = sqlx::query(&sql).fetch_all(pool).await?;
            rows.iter().map(|r| Ok(user_row!(r).user)).collect()
        })
    }

    pub async fn user_by_name(&self, name: &UserName) -> Result<Option<StoredUser>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.name = $1");
        on_pool!(self, pool => {
            let row = sqlx::query(&sql).bind(name.as_str()).fetch_optional(pool).await?;
            row.as_ref().map(|r| Ok(user_row!(r))).transpose()
        })
    }

    pub async fn user(&self, id: UserId) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1");
        on_pool!(self, pool => {
            let row = sqlx::query(&sql).bind(id.0).fetch_optional(pool).await?;
            row.as_ref().map(|r| Ok(user_row!(r).user)).transpose()
        })
    }

    /// The live token with this hash and its user (revoked tokens are not found).
    pub async fn token_by_hash(&self, token_hash: &str) -> Result<Option<(TokenRecord, User)>> {
        let sql = format!(
            "SELECT t.id AS token_id, t.name AS token_name, t.created_at AS token_created_at, t.last_used_at, \
             t.revoked_at, {USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL"
        );
        on_pool!(self, pool => {
            let row = sqlx::query(&sql).bind(token_hash).fetch_optional(pool).await?;
            match row {
                None => Ok(None),
                Some(r) => {
                    let user = user_row!(&r).user;
                    let token = TokenRecord {
                        id: TokenId(r.try_get("token_id")?),
                        user: user.id,
                        user_name: user.name.to_string(),
                        name: r.try_get("token_name")?,
                        created_at: r.try_get("token_created_at")?,
                        last_used_at: r.try_get("last_used_at")?,
                        revoked_at: r.try_get("revoked_at")?,
                    };
                    Ok(Some((token, user)))
                }
            }
        })
    }

    /// Tokens, all or one user's, newest first.
    pub async fn tokens(&self, user: Option<UserId>) -> Result<Vec<TokenRecord>> {
        let sql = format!("{TOKEN_SELECT} WHERE $1 < 0 OR t.user_id = $1 ORDER BY t.id DESC");
        on_pool!(self, pool => {
            let rows = sqlx::query(&sql).bind(user.map_or(-1, |u| u.0)).fetch_all(pool).await?;
            rows.iter().map(|r| Ok(token_row!(r))).collect()
        })
    }

    /// Records that a TOTP code of time step `step` was used, unless that step or a later one
    /// already was: `false` means the code is a replay and must be refused.
    pub async fn use_totp_step(&self, user: UserId, step: i64) -> Result<bool> {
        let n = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
            )
            .bind(step)
            .bind(user.0)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    pub async fn token(&self, id: TokenId) -> Result<Option<TokenRecord>> {
        let sql = format!("{TOKEN_SELECT} WHERE t.id = $1");
        on_pool!(self, pool => {
            let row = sqlx::query(&sql).bind(id.0).fetch_optional(pool).await?;
            row.as_ref().map(|r| Ok(token_row!(r))).transpose()
        })
    }

    /// Notes that a token was used (not audited: it changes nothing a person decided).
    pub async fn touch_token(&self, id: TokenId, at: DateTime<Utc>) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2").bind(at).bind(id.0).execute(pool).await?;
        });
        Ok(())
    }
}

/// What creates a user.
#[derive(Debug, Clone)]
pub struct NewUserRecord<'a> {
    pub name: &'a UserName,
    pub display_name: &'a str,
    pub email: Option<&'a EmailAddress>,
    pub role: Role,
    pub language: &'a Language,
    pub password_hash: Option<&'a str>,
}

impl WriteTx {
    pub async fn insert_user(&mut self, new: NewUserRecord<'_>) -> Result<User> {
        let now = self.now;
        let id: i64 = on_tx!(self, c => {
            sqlx::query_scalar(
                "INSERT INTO users (name, display_name, email, role, organisation_id, language, password_hash, disabled, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
            )
            .bind(new.name.as_str())
            .bind(new.display_name)
            .bind(new.email.map(|e| e.to_string()))
            .bind(new.role.name())
            .bind(new.role.organisation().map(|o| o.0))
            .bind(new.language.as_str())
            .bind(new.password_hash)
            .bind(false)
            .bind(now)
            .fetch_one(&mut *c)
            .await?
        });
        let user = User {
            id: UserId(id),
            name: new.name.clone(),
            display_name: new.display_name.to_owned(),
            email: new.email.cloned(),
            role: new.role,
            language: new.language.clone(),
            disabled: false,
            created_at: now,
        };
        self.audit("user.create", "user", user.id, None, Some(serde_json::to_value(&user)?)).await?;
        Ok(user)
    }

    pub async fn set_user_disabled(&mut self, user: &User, disabled: bool) -> Result<User> {
        let now = self.now;
        on_tx!(self, c => {
            sqlx::query("UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3")
                .bind(disabled).bind(now).bind(user.id.0).execute(&mut *c).await?;
        });
        let after = User { disabled, ..user.clone() };
        let action = if disabled { "user.disable" } else { "user.enable" };
        self.audit(action, "user", user.id, Some(serde_json::to_value(user)?), Some(serde_json::to_value(&after)?))
            .await?;
        Ok(after)
    }

    /// Stores a user's new name to show, e-mail, role, language and status.
    pub async fn update_user(&mut self, before: &User, after: &User) -> Result<User> {
        let now = self.now;
        on_tx!(self, c => {
            sqlx::query(
                "UPDATE users SET display_name = $1, email = $2, role = $3, organisation_id = $4, language = $5, \
                 disabled = $6, updated_at = $7 WHERE id = $8",
            )
            .bind(&after.display_name)
            .bind(after.email.as_ref().map(|e| e.to_string()))
            .bind(after.role.name())
            .bind(after.role.organisation().map(|o| o.0))
            .bind(after.language.as_str())
            .bind(after.disabled)
            .bind(now)
            .bind(before.id.0)
            .execute(&mut *c)
            .await?;
        });
        self.audit(
            "user.update",
            "user",
            before.id,
            Some(serde_json::to_value(before)?),
            Some(serde_json::to_value(after)?),
        )
        .await?;
        Ok(after.clone())
    }

    /// Sets a new password hash; the audit records that it changed, never the hash.
    pub async fn set_user_password(&mut self, user: &User, password_hash: &str) -> Result<()> {
        let now = self.now;
        on_tx!(self, c => {
            sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
                .bind(password_hash).bind(now).bind(user.id.0).execute(&mut *c).await?;
        });
        self.audit("user.password", "user", user.id, None, None).await?;
        Ok(())
    }

    /// Sets or removes the user's TOTP secret; the audit records the change, never the secret.
    pub async fn set_user_totp(&mut self, user: &User, secret: Option<&str>) -> Result<()> {
        let now = self.now;
        on_tx!(self, c => {
            sqlx::query("UPDATE users SET totp_secret = $1, totp_last_step = NULL, updated_at = $2 WHERE id = $3")
                .bind(secret).bind(now).bind(user.id.0).execute(&mut *c).await?;
        });
        let action = if secret.is_some() { "user.totp.enable" } else { "user.totp.disable" };
        self.audit(action, "user", user.id, None, None).await?;
        Ok(())
    }

    pub async fn insert_token(&mut self, user: &User, name: &str, token_hash: &str) -> Result<TokenRecord> {
        let now = self.now;
        let id: i64 = on_tx!(self, c => {
            sqlx::query_scalar("INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
                .bind(user.id.0).bind(name).bind(token_hash).bind(now).fetch_one(&mut *c).await?
        });
        let token = TokenRecord {
            id: TokenId(id),
            user: user.id,
            user_name: user.name.to_string(),
            name: name.to_owned(),
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        };
        self.audit("token.create", "token", token.id, None, Some(serde_json::to_value(&token)?)).await?;
        Ok(token)
    }

    pub async fn revoke_token(&mut self, token: &TokenRecord) -> Result<TokenRecord> {
        let now = self.now;
        let done = on_tx!(self, c => {
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now).bind(token.id.0).execute(&mut *c).await?.rows_affected()
        });
        if done == 0 {
            return Err(StorageError::Conflict(format!("token {} is already revoked", token.id)));
        }
        let after = TokenRecord { revoked_at: Some(now), ..token.clone() };
        self.audit(
            "token.revoke",
            "token",
            token.id,
            Some(serde_json::to_value(token)?),
            Some(serde_json::to_value(&after)?),
        )
        .await?;
        Ok(after)
    }
}
