//! User accounts and API tokens: creation, passwords (Argon2id), tokens (random secrets stored
//! only as SHA-256 hashes), and authentication.

use crate::{Principal, Result, ServiceError, Services};
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use cirtkit_domain::{EmailAddress, Language, Permission, Role, TokenId, User, UserName};
use cirtkit_storage::{NewUserRecord, TokenRecord};
use password_hash::{
    SaltString,
    rand_core::{OsRng, RngCore},
};
use sha2::{Digest, Sha256};

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;
const TOKEN_PREFIX: &str = "cirtkit_";

/// What creates a user.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: UserName,
    pub display_name: String,
    pub email: Option<EmailAddress>,
    pub role: Role,
    pub language: Language,
    /// None: the account cannot sign in with a password until one is set.
    pub password: Option<String>,
}

/// Changes to a user. A user may change their own display name, e-mail and language; only an
/// admin changes a role or disables an account.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub email: Option<Option<EmailAddress>>,
    pub role: Option<Role>,
    pub language: Option<Language>,
    pub disabled: Option<bool>,
}

/// A new token's secret, shown once and never stored.
#[derive(Clone)]
pub struct TokenSecret(pub String);

impl std::fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSecret(********)")
    }
}

fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ServiceError::Invalid(format!("a password needs at least {MIN_PASSWORD_CHARS} characters")));
    }
    if password.len() > 1024 {
        return Err(ServiceError::Invalid("a password has at most 1024 bytes".into()));
    }
    Ok(())
}

fn hash_password(password: &str) -> Result<String> {
    check_password(password)?;
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Invalid(format!("cannot hash the password: {e}")))
}

fn token_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A strong random password for a new account (20 characters from an unambiguous alphabet).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect()
}

impl Services {
    pub async fn create_user(&self, who: &Principal, new: NewUser) -> Result<User> {
        who.require(Permission::ManageUsers)?;
        let display_name = new.display_name.trim();
        if display_name.is_empty() || display_name.chars().count() > 200 {
            return Err(ServiceError::Invalid("a display name has 1 to 200 characters".into()));
        }
        if let Some(org) = new.role.organisation()
            && self.store().organisation(org).await?.is_none()
        {
            return Err(ServiceError::Invalid(format!("no organisation {org} to bind the constituent to")));
        }
        if self.store().user_by_name(&new.name).await?.is_some() {
            return Err(ServiceError::Conflict(format!("a user named {} exists already", new.name)));
        }
        let hash = new.password.as_deref().map(hash_password).transpose()?;
        let mut tx = self.begin(who).await?;
        let user = tx
            .insert_user(NewUserRecord {
                name: &new.name,
                display_name,
                email: new.email.as_ref(),
                role: new.role,
                language: &new.language,
                password_hash: hash.as_deref(),
            })
            .await?;
        tx.commit().await?;
        Ok(user)
    }

    pub async fn users(&self, who: &Principal) -> Result<Vec<User>> {
        who.require(Permission::ReadEverything)?;
        Ok(self.store().users().await?)
    }

    async fn user_named(&self, name: &UserName) -> Result<User> {
        self.store()
            .user_by_name(name)
            .await?
            .map(|s| s.user)
            .ok_or_else(|| ServiceError::NotFound(format!("no user named {name}")))
    }

    /// A user by name: anyone for themselves; those who read everything for others.
    pub async fn user(&self, who: &Principal, name: &UserName) -> Result<User> {
        if who.user().is_none_or(|me| &me.name != name) {
            who.require(Permission::ReadEverything)?;
        }
        self.user_named(name).await
    }

    pub async fn update_user(&self, who: &Principal, name: &UserName, changes: UserChanges) -> Result<User> {
        let is_self = who.user().is_some_and(|u| &u.name == name);
        if !is_self || changes.role.is_some() || changes.disabled.is_some() {
            who.require(Permission::ManageUsers)?;
        }
        let before = self.user_named(name).await?;
        let mut after = before.clone();
        if let Some(display_name) = changes.display_name {
            let display_name = display_name.trim();
            if display_name.is_empty() || display_name.chars().count() > 200 {
                return Err(ServiceError::Invalid("a display name has 1 to 200 characters".into()));
            }
            after.display_name = display_name.to_owned();
        }
        if let Some(email) = changes.email {
            after.email = email;
        }
        if let Some(role) = changes.role {
            if let Some(org) = role.organisation()
                && self.store().organisation(org).await?.is_none()
            {
                return Err(ServiceError::Invalid(format!("no organisation {org} to bind the constituent to")));
            }
            after.role = role;
        }
        if let Some(language) = changes.language {
            after.language = language;
        }
        if let Some(disabled) = changes.disabled {
            after.disabled = disabled;
        }
        if after == before {
            return Ok(before);
        }
        let mut tx = self.begin(who).await?;
        let after = tx.update_user(&before, &after).await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn set_user_disabled(&self, who: &Principal, name: &UserName, disabled: bool) -> Result<User> {
        who.require(Permission::ManageUsers)?;
        let user = self.user_named(name).await?;
        if user.disabled == disabled {
            return Ok(user);
        }
        let mut tx = self.begin(who).await?;
        let user = tx.set_user_disabled(&user, disabled).await?;
        tx.commit().await?;
        if disabled {
            self.store().delete_user_sessions(user.id).await?;
        }
        Ok(user)
    }

    /// Sets a user's password: an admin for anyone, a user for themselves.
    pub async fn set_password(&self, who: &Principal, name: &UserName, password: &str) -> Result<()> {
        let is_self = who.user().is_some_and(|u| &u.name == name);
        if !is_self {
            who.require(Permission::ManageUsers)?;
        }
        let user = self.user_named(name).await?;
        let hash = hash_password(password)?;
        let mut tx = self.begin(who).await?;
        tx.set_user_password(&user, &hash).await?;
        tx.commit().await?;
        // Whoever knew the old password is signed out everywhere.
        self.store().delete_user_sessions(user.id).await?;
        Ok(())
    }

    /// Checks a user name and password. The same answer for an unknown user, a wrong password
    /// and a disabled account, so that the answer reveals nothing.
    pub async fn authenticate_password(&self, name: &str, password: &str) -> Result<Principal> {
        let denied = || ServiceError::Unauthenticated("wrong user name or password".into());
        let Ok(name) = name.parse::<UserName>() else { return Err(denied()) };
        let stored = self.store().user_by_name(&name).await?;
        let Some(stored) = stored else {
            // Spend the same time as a real check, so that timing does not reveal who exists.
            let _ = hash_password("not-a-real-password-at-all");
            return Err(denied());
        };
        let ok = stored.password_hash.as_deref().is_some_and(|h| {
            PasswordHash::new(h)
                .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        });
        if !ok || stored.user.disabled {
            return Err(denied());
        }
        Ok(Principal::User(stored.user))
    }

    /// Creates an API token for a user; the secret is returned once and only its hash is kept.
    /// Admins create tokens for anyone; a user for themselves.
    pub async fn create_token(
        &self,
        who: &Principal,
        user: &UserName,
        name: &str,
    ) -> Result<(TokenRecord, TokenSecret)> {
        let is_self = who.user().is_some_and(|u| &u.name == user);
        if !is_self {
            who.require(Permission::ManageUsers)?;
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ServiceError::Invalid("a token's name has 1 to 100 characters".into()));
        }
        let owner = self.user_named(user).await?;
        if owner.disabled {
            return Err(ServiceError::Conflict(format!("user {user} is disabled")));
        }
        let mut raw = [0u8; 32];
        OsRng.fill_bytes(&mut raw);
        let secret = format!("{TOKEN_PREFIX}{}", hex::encode(raw));
        let mut tx = self.begin(who).await?;
        let record = tx.insert_token(&owner, name, &token_hash(&secret)).await?;
        tx.commit().await?;
        Ok((record, TokenSecret(secret)))
    }

    /// Tokens, all (admins and auditors) or one user's.
    pub async fn tokens(&self, who: &Principal, user: Option<&UserName>) -> Result<Vec<TokenRecord>> {
        let own = match (user, who.user()) {
            (Some(u), Some(me)) => &me.name == u,
            _ => false,
        };
        if !own {
            who.require(Permission::ReadAudit)?;
        }
        let id = match user {
            Some(name) => Some(self.user_named(name).await?.id),
            None => None,
        };
        Ok(self.store().tokens(id).await?)
    }

    pub async fn revoke_token(&self, who: &Principal, id: TokenId) -> Result<TokenRecord> {
        let token = self.store().token(id).await?.ok_or_else(|| ServiceError::NotFound(format!("no token {id}")))?;
        let own = who.user().is_some_and(|u| u.id == token.user);
        if !own {
            who.require(Permission::ManageUsers)?;
        }
        let mut tx = self.begin(who).await?;
        let token = tx.revoke_token(&token).await?;
        tx.commit().await?;
        Ok(token)
    }

    /// The principal behind an API token, if the token is live and its user enabled.
    pub async fn authenticate_token(&self, secret: &str) -> Result<Principal> {
        let denied = || ServiceError::Unauthenticated("the API token is unknown or revoked".into());
        if !secret.starts_with(TOKEN_PREFIX) || secret.len() > 200 {
            return Err(denied());
        }
        let (token, user) = self.store().token_by_hash(&token_hash(secret)).await?.ok_or_else(denied)?;
        if user.disabled {
            return Err(denied());
        }
        // Recording every use would make every API request a write: on PostgreSQL a WAL flush
        // per request, and all requests with one token queuing on its row lock. To the minute
        // is precise enough for "last used".
        let now = self.clock().now();
        if token.last_used_at.is_none_or(|at| now - at >= chrono::Duration::minutes(1)) {
            self.store().touch_token(token.id, now).await?;
        }
        Ok(Principal::Token { token, user })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_are_long_and_differ() {
        let a = generate_password();
        assert_eq!(a.len(), 20);
        assert_ne!(a, generate_password());
        assert!(check_password(&a).is_ok());
        assert!(check_password("short").is_err());
    }

    #[test]
    fn hashes_verify() {
        let h = hash_password("correct horse battery").unwrap();
        let parsed = PasswordHash::new(&h).unwrap();
        assert!(Argon2::default().verify_password(b"correct horse battery", &parsed).is_ok());
        assert!(Argon2::default().verify_password(b"wrong", &parsed).is_err());
        assert!(h.starts_with("$argon2id$"));
    }
}
