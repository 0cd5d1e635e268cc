//! How a connection to a mail server (the SMTP relay, the IMAP mailbox) is protected, and the rule
//! that only a server on this machine may be spoken to in clear.

use rustls_pki_types::{CertificateDer, pem::PemObject};
use serde::{Deserialize, Serialize};
use std::{fmt, net::IpAddr};

/// How a connection to a mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// TLS from the first byte (SMTPS on 465, IMAPS on 993).
    Implicit,
    /// A plain connection upgraded by STARTTLS before anything else is said (587, 143); refused
    /// if the server does not offer it.
    #[serde(rename = "starttls")]
    StartTls,
    /// No TLS: passwords and mail go in clear. Only for a server on this machine.
    None,
}

impl TlsMode {
    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::Implicit => "implicit",
            TlsMode::StartTls => "starttls",
            TlsMode::None => "none",
        }
    }

    /// Refuses `none` for a host that is not this machine, saying why.
    pub fn check_host(self, host: &str) -> Result<(), String> {
        if self == TlsMode::None && !is_loopback_host(host) {
            return Err(format!(
                "tls = \"none\" sends the password and the mail in clear, so it is only allowed for a server on \
                 this machine (localhost, 127.0.0.1, ::1), not {host:?}: use \"starttls\" or \"implicit\""
            ));
        }
        Ok(())
    }
}

impl fmt::Display for TlsMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The certificates of a PEM file of extra CAs to trust; at least one, or a reason.
pub fn extra_roots(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("the extra CA is not a PEM certificate: {e}"))?;
    if certs.is_empty() {
        return Err("the extra CA file holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into());
    }
    Ok(certs)
}

/// Whether a host name or address is this machine: `localhost`, 127.0.0.0/8 or ::1.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim().trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clear_text_is_for_this_machine_only() {
        for host in ["localhost", "127.0.0.1", "127.3.2.1", "::1", "[::1]", "LOCALHOST"] {
            assert!(TlsMode::None.check_host(host).is_ok(), "{host}");
        }
        for host in ["mail.example.org", "10.0.0.1", "localhost.example.org", "0.0.0.0"] {
            let e = TlsMode::None.check_host(host).unwrap_err();
            assert!(e.contains("only allowed for a server on this machine"), "{e}");
        }
        assert!(TlsMode::StartTls.check_host("mail.example.org").is_ok());
    }

    #[test]
    fn extra_roots_must_hold_a_certificate() {
        assert!(extra_roots(b"").unwrap_err().contains("no PEM certificate"));
        assert!(extra_roots(b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n").is_err());
    }
}
