//! cirtkit's outbound mail: what the team sends from an incident. `compose` writes the words
//! (the reference in the subject, the TLP line at the top of the body, the team's signature);
//! `Mailer` hands the message to an SMTP relay, over STARTTLS, implicit TLS (SMTPS) or, for a
//! relay on this machine only, plain SMTP. TLS is rustls with the ring provider, trusting
//! Mozilla's roots (webpki-roots) and any extra CA the configuration names: no system OpenSSL.

pub mod compose;
mod tls;

pub use tls::{TlsMode, extra_roots, is_loopback_host};

use cirtkit_domain::EmailAddress;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Tokio1Executor,
    message::{Body, Mailbox, Message, header::ContentTransferEncoding, header::ContentType},
    transport::smtp::{
        authentication::Credentials,
        client::{Certificate, Tls, TlsParameters},
    },
};
use std::{fmt, future::Future, pin::Pin, time::Duration, time::SystemTime};

/// What can go wrong while sending, with stable codes.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The message cannot be written (an address lettre refuses, an empty list of recipients).
    #[error("[mail.compose] {0}")]
    Compose(String),
    /// The relay could not be reached, or refused the message.
    #[error("[mail.send] {0}")]
    Send(String),
    /// The TLS settings cannot be used (an extra CA that is not PEM, a host name TLS refuses).
    #[error("[mail.tls] {0}")]
    Tls(String),
}

/// Where and how to send: read from the `[smtp]` section of the configuration.
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    /// How the connection is protected.
    pub tls: TlsMode,
    /// Extra CA certificates to trust (PEM), beyond Mozilla's roots: an internal CA.
    pub extra_ca_pem: Option<Vec<u8>>,
    /// The team's address, the sender of every message.
    pub from: EmailAddress,
    /// User name and password, when the relay asks for them.
    pub credentials: Option<(String, String)>,
    pub timeout: Duration,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The password never reaches a log.
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("from", &self.from)
            .field("username", &self.credentials.as_ref().map(|(u, _)| u))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// One message to send, already composed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundMail {
    pub to: Vec<EmailAddress>,
    pub subject: String,
    pub body: String,
    /// The `Message-ID` of the mail this one answers, for threading.
    pub reply_to_message_id: Option<String>,
    /// The `Date` header: the services' clock, not the system's.
    pub date: SystemTime,
}

/// The future a mailer returns.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<String, NotifyError>> + Send + 'a>>;

/// Something that sends mail: the SMTP `Mailer`, or a fake in tests.
pub trait OutboundMailer: fmt::Debug + Send + Sync {
    /// Sends and answers the message's `Message-ID`.
    fn send(&self, mail: OutboundMail) -> SendFuture<'_>;
}

/// Sends through an SMTP relay.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: EmailAddress,
    host: String,
    port: u16,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer").field("host", &self.host).field("port", &self.port).field("from", &self.from).finish()
    }
}

impl Mailer {
    /// A mailer for this relay. Nothing is connected until the first message.
    pub fn new(settings: &SmtpSettings) -> Result<Mailer, NotifyError> {
        // "Dangerous" only in that it starts without TLS: TLS is set just below, as configured.
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            .port(settings.port)
            .timeout(Some(settings.timeout));
        if settings.tls != TlsMode::None {
            let mut parameters = TlsParameters::builder(settings.host.clone());
            if let Some(pem) = &settings.extra_ca_pem {
                for der in extra_roots(pem).map_err(NotifyError::Tls)? {
                    parameters = parameters.add_root_certificate(
                        Certificate::from_der(der.to_vec())
                            .map_err(|e| NotifyError::Tls(format!("the extra CA cannot be used: {e}")))?,
                    );
                }
            }
            let parameters = parameters.build_rustls().map_err(|e| NotifyError::Tls(e.to_string()))?;
            builder = builder.tls(match settings.tls {
                TlsMode::Implicit => Tls::Wrapper(parameters),
                _ => Tls::Required(parameters),
            });
        }
        if let Some((user, password)) = &settings.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Mailer {
            transport: builder.build(),
            from: settings.from.clone(),
            host: settings.host.clone(),
            port: settings.port,
        })
    }

    /// Builds the message and hands it to the relay; answers its `Message-ID`.
    pub async fn send(&self, mail: OutboundMail) -> Result<String, NotifyError> {
        let (message, id) = self.message(mail)?;
        self.transport.send(message).await.map_err(|e| {
            NotifyError::Send(format!("the mail relay {}:{} did not take the message: {e}", self.host, self.port))
        })?;
        tracing::info!(message_id = %id, "mail sent");
        Ok(id)
    }

    fn message(&self, mail: OutboundMail) -> Result<(Message, String), NotifyError> {
        if mail.to.is_empty() {
            return Err(NotifyError::Compose("a message needs at least one recipient".into()));
        }
        let id = format!("<{:032x}@{}>", rand::random::<u128>(), self.from.domain());
        let mut builder = Message::builder()
            .from(mailbox(&self.from)?)
            .subject(mail.subject)
            .date(mail.date)
            .message_id(Some(id.clone()))
            .header(ContentType::TEXT_PLAIN);
        for to in &mail.to {
            builder = builder.to(mailbox(to)?);
        }
        if let Some(parent) = mail.reply_to_message_id {
            builder = builder.in_reply_to(parent.clone()).references(parent);
        }
        // 8bit keeps the text readable as written; lettre falls back to an encoding when a line
        // is too long for it.
        let body = Body::new_with_encoding(mail.body, ContentTransferEncoding::EightBit)
            .or_else(|b| String::from_utf8(b).map(Body::new))
            .map_err(|_| NotifyError::Compose("the body is not text".into()))?;
        let message = builder.body(body).map_err(|e| NotifyError::Compose(e.to_string()))?;
        Ok((message, id))
    }
}

impl OutboundMailer for Mailer {
    fn send(&self, mail: OutboundMail) -> SendFuture<'_> {
        Box::pin(Mailer::send(self, mail))
    }
}

fn mailbox(address: &EmailAddress) -> Result<Mailbox, NotifyError> {
    let address = address
        .to_string()
        .parse()
        .map_err(|e| NotifyError::Compose(format!("{address} cannot be used as a mail address: {e}")))?;
    Ok(Mailbox::new(None, address))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(tls: TlsMode) -> SmtpSettings {
        SmtpSettings {
            host: "127.0.0.1".into(),
            port: 2525,
            tls,
            extra_ca_pem: None,
            from: "cirt@cirt.example".parse().unwrap(),
            credentials: Some(("cirt".into(), "hunter2".into())),
            timeout: Duration::from_secs(5),
        }
    }

    fn mailer() -> Mailer {
        Mailer::new(&settings(TlsMode::None)).unwrap()
    }

    #[test]
    fn tls_settings_are_checked_when_the_mailer_is_made() {
        for tls in [TlsMode::StartTls, TlsMode::Implicit] {
            assert!(Mailer::new(&settings(tls)).is_ok());
        }
        let bad = SmtpSettings { extra_ca_pem: Some(b"not a certificate".to_vec()), ..settings(TlsMode::StartTls) };
        let e = Mailer::new(&bad).unwrap_err();
        assert!(e.to_string().starts_with("[mail.tls]"), "{e}");
    }

    fn mail() -> OutboundMail {
        OutboundMail {
            to: vec!["soc@bank.example".parse().unwrap()],
            subject: "[CIRT-2026-00042] Infected host".into(),
            body: "TLP:AMBER — limited disclosure\n\nHello".into(),
            reply_to_message_id: Some("<parent@bank.example>".into()),
            date: SystemTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_message_has_its_headers_and_readable_text() {
        let (message, id) = mailer().message(mail()).unwrap();
        let text = String::from_utf8(message.formatted()).unwrap();
        assert!(id.ends_with("@cirt.example>"), "{id}");
        for expected in [
            "From: cirt@cirt.example",
            "To: soc@bank.example",
            "Subject: [CIRT-2026-00042] Infected host",
            "In-Reply-To: <parent@bank.example>",
            "Content-Transfer-Encoding: 8bit",
            "TLP:AMBER — limited disclosure",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
        assert!(text.contains(&format!("Message-ID: {id}")), "{text}");
    }

    #[test]
    fn no_recipient_is_refused() {
        let e = mailer().message(OutboundMail { to: vec![], ..mail() }).unwrap_err();
        assert!(e.to_string().starts_with("[mail.compose]"), "{e}");
    }

    #[test]
    fn the_password_is_not_in_debug_output() {
        assert!(!format!("{:?}", settings(TlsMode::StartTls)).contains("hunter2"));
    }
}
