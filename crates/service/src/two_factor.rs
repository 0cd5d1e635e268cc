//! The optional second factor of signing in: time-based one-time codes (TOTP, RFC 6238: SHA-1,
//! six digits, 30-second steps, one step of clock skew either way), which every authenticator
//! app reads from an `otpauth://` QR code. A code is accepted once: its step is recorded.

use crate::{Principal, Result, ServiceError, Services};
use cirtkit_domain::{Permission, User, UserName};
use password_hash::rand_core::{OsRng, RngCore};
use totp_rs::{Builder, Secret, Totp};

/// What a user needs to add cirtkit to an authenticator app.
#[derive(Debug, Clone)]
pub struct TotpEnrolment {
    /// The secret in base32, to type in by hand.
    pub secret: String,
    /// The `otpauth://totp/…` URI the QR code carries.
    pub uri: String,
}

fn totp(secret_base32: &str) -> Result<Totp> {
    let secret = Secret::try_from_base32(secret_base32)
        .map_err(|_| ServiceError::Invalid("the two-factor secret is not valid base32".into()))?;
    Builder::new()
        .with_secret(secret)
        .build()
        .map_err(|e| ServiceError::Invalid(format!("the two-factor secret cannot be used: {e}")))
}

/// Percent-encodes a URI component (RFC 3986 unreserved characters kept).
fn uri_component(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Services {
    /// Whether the user signs in with a second factor.
    pub async fn has_second_factor(&self, user: &User) -> Result<bool> {
        Ok(self.store().user_by_name(&user.name).await?.is_some_and(|s| s.totp_secret.is_some()))
    }

    /// Checks a code from the user's authenticator, and uses it up.
    pub(crate) async fn check_totp(&self, user: &User, code: &str) -> Result<bool> {
        let Some(secret) = self.store().user_by_name(&user.name).await?.and_then(|s| s.totp_secret) else {
            return Ok(false);
        };
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        let now = u64::try_from(self.clock().now().timestamp()).unwrap_or_default();
        let Some(step) = totp(&secret)?.check(&code, now) else { return Ok(false) };
        Ok(self.store().use_totp_step(user.id, i64::try_from(step).unwrap_or(i64::MAX)).await?)
    }

    /// A new secret for the signed-in user to add to an authenticator; nothing changes until
    /// [`Services::enable_totp`] confirms it with a code.
    pub fn new_totp_enrolment(&self, who: &Principal) -> Result<TotpEnrolment> {
        let user = who.user().ok_or_else(|| ServiceError::Invalid("only a person can enrol a second factor".into()))?;
        let mut raw = [0u8; 20];
        OsRng.fill_bytes(&mut raw);
        let secret = Secret::from(raw.to_vec()).to_base32();
        let issuer = format!("cirtkit {}", self.settings().reference_prefix);
        let uri = format!(
            "otpauth://totp/{}:{}?secret={secret}&issuer={}&algorithm=SHA1&digits=6&period=30",
            uri_component(&issuer),
            uri_component(user.name.as_str()),
            uri_component(&issuer)
        );
        Ok(TotpEnrolment { secret, uri })
    }

    /// Turns the second factor on for the signed-in user, once a code shows their authenticator
    /// holds the secret.
    pub async fn enable_totp(&self, who: &Principal, secret: &str, code: &str) -> Result<()> {
        let user = who.user().ok_or_else(|| ServiceError::Invalid("only a person can enrol a second factor".into()))?;
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        let now = u64::try_from(self.clock().now().timestamp()).unwrap_or_default();
        if totp(secret)?.check(&code, now).is_none() {
            return Err(ServiceError::Invalid(
                "the code does not match: check the time on your phone and enter the newest code".into(),
            ));
        }
        let mut tx = self.begin(who).await?;
        tx.set_user_totp(user, Some(secret)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Turns the second factor off: a user for themselves with a current code, an admin for
    /// anyone (a lost phone) without one.
    pub async fn disable_totp(&self, who: &Principal, name: &UserName, code: Option<&str>) -> Result<()> {
        let is_self = who.user().is_some_and(|u| &u.name == name);
        let target = self.user(who, name).await?;
        if is_self && !who.role().allows(Permission::ManageUsers) {
            let ok = match code {
                Some(code) => self.check_totp(&target, code).await?,
                None => false,
            };
            if !ok {
                return Err(ServiceError::Invalid(
                    "enter a current code from your authenticator to turn it off".into(),
                ));
            }
        } else if !is_self {
            who.require(Permission::ManageUsers)?;
        }
        let mut tx = self.begin(who).await?;
        tx.set_user_totp(&target, None).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_components_are_percent_encoded() {
        assert_eq!(uri_component("cirtkit CIRT"), "cirtkit%20CIRT");
        assert_eq!(uri_component("a:b@c"), "a%3Ab%40c");
    }

    #[test]
    fn codes_follow_rfc_6238() {
        // RFC 6238 appendix B: the SHA-1 secret "12345678901234567890", 8 digits at T=59 is
        // 94287082; with six digits the code is its last six.
        let t = Builder::new().with_secret(b"12345678901234567890".to_vec()).build().unwrap();
        assert_eq!(t.check("287082", 59), Some(1));
        assert_eq!(t.check("287083", 59), None);
    }
}
