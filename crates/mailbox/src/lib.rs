//! cirtkit's mailbox: the team's report address, read over IMAP. [`Mailbox::open`] connects
//! (implicit TLS, STARTTLS, or plain to a server on this machine), logs in and selects the folder;
//! then the caller lists the unseen messages, fetches each without marking it, files it, and only
//! then marks it filed (`\Seen`, and moved to the processed folder if one is set). A crash in
//! between leaves the message unseen, to be fetched again: no mail is lost.
//!
//! TLS is rustls with the ring provider, trusting Mozilla's roots (webpki-roots) and any extra CA
//! the configuration names. Every exchange with the server is bounded by the configured timeout.

use async_imap::{Client, Session};
use cirtkit_notify::TlsMode;
use futures_util::TryStreamExt;
use std::{
    fmt,
    future::Future,
    io,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
};
use tokio_rustls::{
    TlsConnector,
    client::TlsStream,
    rustls::{ClientConfig, RootCertStore, crypto::ring, pki_types::ServerName},
};

/// What can go wrong with the mailbox, with stable codes.
#[derive(Debug, thiserror::Error)]
pub enum MailboxError {
    #[error("[imap.connect] cannot reach the IMAP server {server}: {reason}")]
    Connect { server: String, reason: String },
    #[error("[imap.tls] {0}")]
    Tls(String),
    #[error("[imap.login] the IMAP server {server} refused the login of {user:?}: {reason}")]
    Login { server: String, user: String, reason: String },
    #[error("[imap.command] the IMAP server {server} refused {command}: {reason}")]
    Command { server: String, command: String, reason: String },
    #[error("[imap.timeout] the IMAP server {server} did not answer {command} within {secs} s")]
    Timeout { server: String, command: String, secs: u64 },
}

/// Where the mailbox is and how to read it: from the `[imap]` section of the configuration.
#[derive(Clone)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    /// Extra CA certificates to trust (PEM), beyond Mozilla's roots.
    pub extra_ca_pem: Option<Vec<u8>>,
    pub username: String,
    pub password: String,
    /// The folder read, such as `INBOX`.
    pub mailbox: String,
    /// Where filed messages are moved (after being marked `\Seen`); none leaves them in place.
    pub processed_folder: Option<String>,
    /// Where messages that cannot be read as mail are moved; none leaves them in place, unseen.
    pub quarantine_folder: Option<String>,
    /// How long one exchange with the server may take.
    pub timeout: Duration,
}

impl fmt::Debug for ImapSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The password never reaches a log.
        f.debug_struct("ImapSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("mailbox", &self.mailbox)
            .field("processed_folder", &self.processed_folder)
            .field("quarantine_folder", &self.quarantine_folder)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl ImapSettings {
    fn server(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// An open mailbox, logged in, with its folder selected.
pub struct Mailbox {
    session: Session<Connection>,
    settings: ImapSettings,
    /// Whether the server moves messages in one step (RFC 6851).
    can_move: bool,
    /// Whether the server expunges by UID (RFC 4315), so that only our messages go.
    can_uid_expunge: bool,
    /// The folder's UIDVALIDITY: UIDs keep their meaning only while it stays the same.
    uid_validity: Option<u32>,
}

impl fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailbox").field("settings", &self.settings).finish()
    }
}

impl Mailbox {
    /// Connects, protects the connection as configured, logs in and selects the folder.
    pub async fn open(settings: &ImapSettings) -> Result<Mailbox, MailboxError> {
        // Checked here too, not only in the configuration: no caller may send a password in clear
        // to another machine.
        settings.tls.check_host(&settings.host).map_err(MailboxError::Tls)?;
        let within = |command: &str| Deadline { settings, command: command.to_owned() };
        let tcp = within("the connection")
            .run(async {
                TcpStream::connect((settings.host.as_str(), settings.port))
                    .await
                    .map_err(|e| MailboxError::Connect { server: settings.server(), reason: e.to_string() })
            })
            .await?;
        let client = match settings.tls {
            TlsMode::Implicit => {
                let tls = within("the TLS handshake").run(tls_handshake(settings, tcp)).await?;
                let mut client = Client::new(Connection::Tls(Box::new(tls)));
                within("the greeting").run(greeting(settings, &mut client)).await?;
                client
            }
            TlsMode::StartTls => {
                let mut client = Client::new(Connection::Plain(tcp));
                within("the greeting").run(greeting(settings, &mut client)).await?;
                within("STARTTLS")
                    .run(async {
                        client.run_command_and_check_ok("STARTTLS", None).await.map_err(|e| MailboxError::Tls(format!(
                            "the IMAP server {} did not start TLS ({e}): it may not offer STARTTLS; try tls = \"implicit\" on port 993",
                            settings.server()
                        )))
                    })
                    .await?;
                let Connection::Plain(tcp) = client.into_inner() else {
                    return Err(MailboxError::Tls("the connection was already encrypted".into()));
                };
                let tls = within("the TLS handshake").run(tls_handshake(settings, tcp)).await?;
                Client::new(Connection::Tls(Box::new(tls)))
            }
            TlsMode::None => {
                let mut client = Client::new(Connection::Plain(tcp));
                within("the greeting").run(greeting(settings, &mut client)).await?;
                client
            }
        };
        let mut session = within("LOGIN")
            .run(async {
                client.login(&settings.username, &settings.password).await.map_err(|(e, _)| MailboxError::Login {
                    server: settings.server(),
                    user: settings.username.clone(),
                    reason: e.to_string(),
                })
            })
            .await?;
        let capabilities = within("CAPABILITY").run(command(settings, "CAPABILITY", session.capabilities())).await?;
        let (can_move, can_uid_expunge) = (capabilities.has_str("MOVE"), capabilities.has_str("UIDPLUS"));
        let selected = within("SELECT").run(command(settings, "SELECT", session.select(&settings.mailbox))).await?;
        // A folder to move messages to must exist before anything is filed, not fail half-way.
        for (key, folder) in
            [("processed_folder", &settings.processed_folder), ("quarantine_folder", &settings.quarantine_folder)]
        {
            let Some(folder) = folder else { continue };
            within("STATUS")
                .run(async {
                    session.status(folder, "(MESSAGES)").await.map_err(|e| MailboxError::Command {
                        server: settings.server(),
                        command: format!("imap.{key} {folder:?}"),
                        reason: format!("{e}; create the folder, or leave the setting out"),
                    })
                })
                .await?;
        }
        tracing::debug!(server = %settings.server(), mailbox = %settings.mailbox, tls = %settings.tls, "mailbox open");
        Ok(Mailbox {
            session,
            settings: settings.clone(),
            can_move,
            can_uid_expunge,
            uid_validity: selected.uid_validity,
        })
    }

    /// The folder's UIDVALIDITY (RFC 9051): when it changes, the folder was recreated and a UID
    /// kept from before may name another message.
    pub fn uid_validity(&self) -> Option<u32> {
        self.uid_validity
    }

    /// The size in bytes the server gives for each of `uids` (`RFC822.SIZE`), without fetching
    /// them; a message gone meanwhile is left out.
    pub async fn sizes(&mut self, uids: &[u32]) -> Result<Vec<(u32, u64)>, MailboxError> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let settings = &self.settings;
        let session = &mut self.session;
        let set = uids.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        Deadline { settings, command: "UID FETCH RFC822.SIZE".into() }
            .run(async {
                let failed = |e: async_imap::error::Error| command_error(settings, "UID FETCH", e);
                let fetches = session.uid_fetch(set, "RFC822.SIZE").await.map_err(failed)?;
                let fetches: Vec<_> = fetches.try_collect().await.map_err(failed)?;
                let mut sizes: Vec<(u32, u64)> =
                    fetches.iter().filter_map(|f| Some((f.uid?, u64::from(f.size?)))).collect();
                sizes.sort_unstable();
                sizes.dedup_by_key(|(uid, _)| *uid);
                Ok(sizes)
            })
            .await
    }

    /// The unseen messages' UIDs, oldest first.
    pub async fn unseen(&mut self) -> Result<Vec<u32>, MailboxError> {
        let settings = &self.settings;
        let within = Deadline { settings, command: "UID SEARCH UNSEEN".into() };
        let mut uids: Vec<u32> =
            within.run(command(settings, "UID SEARCH", self.session.uid_search("UNSEEN"))).await?.into_iter().collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// One message as it was received, without marking it seen; `None` when it is gone.
    pub async fn fetch(&mut self, uid: u32) -> Result<Option<Vec<u8>>, MailboxError> {
        let settings = &self.settings;
        let session = &mut self.session;
        Deadline { settings, command: "UID FETCH".into() }
            .run(async {
                let failed = |e: async_imap::error::Error| command_error(settings, "UID FETCH", e);
                let fetches = session.uid_fetch(uid.to_string(), "BODY.PEEK[]").await.map_err(failed)?;
                let fetches: Vec<_> = fetches.try_collect().await.map_err(failed)?;
                Ok(fetches.iter().find(|f| f.uid == Some(uid)).and_then(|f| f.body()).map(<[u8]>::to_vec))
            })
            .await
    }

    /// Marks a message filed: `\Seen`, then moved to the processed folder when one is set.
    pub async fn mark_filed(&mut self, uid: u32) -> Result<(), MailboxError> {
        self.store(uid, "+FLAGS.SILENT (\\Seen)").await?;
        if let Some(folder) = self.settings.processed_folder.clone() {
            self.move_to(uid, &folder).await?;
        }
        Ok(())
    }

    /// Moves a message that is not mail into the quarantine folder; answers false (and leaves it
    /// in place, unseen) when no such folder is set.
    pub async fn quarantine(&mut self, uid: u32) -> Result<bool, MailboxError> {
        match self.settings.quarantine_folder.clone() {
            Some(folder) => self.move_to(uid, &folder).await.map(|()| true),
            None => Ok(false),
        }
    }

    /// Logs out (a failure to do so politely is only logged).
    pub async fn close(mut self) {
        let settings = &self.settings;
        if let Err(e) = (Deadline { settings, command: "LOGOUT".into() })
            .run(command(settings, "LOGOUT", self.session.logout()))
            .await
        {
            tracing::debug!(error = %e, "the IMAP logout failed");
        }
    }

    async fn store(&mut self, uid: u32, flags: &str) -> Result<(), MailboxError> {
        let settings = &self.settings;
        let session = &mut self.session;
        Deadline { settings, command: "UID STORE".into() }
            .run(async {
                let failed = |e| command_error(settings, "UID STORE", e);
                let updates = session.uid_store(uid.to_string(), flags).await.map_err(failed)?;
                let _: Vec<_> = updates.try_collect().await.map_err(failed)?;
                Ok(())
            })
            .await
    }

    async fn move_to(&mut self, uid: u32, folder: &str) -> Result<(), MailboxError> {
        let settings = &self.settings;
        let session = &mut self.session;
        let (can_move, can_uid_expunge) = (self.can_move, self.can_uid_expunge);
        Deadline { settings, command: "UID MOVE".into() }
            .run(async {
                if can_move {
                    return command(settings, "UID MOVE", session.uid_mv(uid.to_string(), folder)).await;
                }
                // Without MOVE: copy, mark deleted, and expunge that message only when the server
                // can (otherwise it goes at the folder's next expunge).
                command(settings, "UID COPY", session.uid_copy(uid.to_string(), folder)).await?;
                let failed = |e| command_error(settings, "UID STORE", e);
                let updates = session.uid_store(uid.to_string(), "+FLAGS.SILENT (\\Deleted)").await.map_err(failed)?;
                let _: Vec<_> = updates.try_collect().await.map_err(failed)?;
                if can_uid_expunge {
                    let failed = |e| command_error(settings, "UID EXPUNGE", e);
                    let gone = session.uid_expunge(uid.to_string()).await.map_err(failed)?;
                    let _: Vec<_> = gone.try_collect().await.map_err(failed)?;
                }
                Ok(())
            })
            .await
    }
}

/// One exchange with the server, bounded by the configured timeout.
struct Deadline<'a> {
    settings: &'a ImapSettings,
    command: String,
}

impl Deadline<'_> {
    async fn run<T>(self, work: impl Future<Output = Result<T, MailboxError>>) -> Result<T, MailboxError> {
        tokio::time::timeout(self.settings.timeout, work).await.unwrap_or_else(|_| {
            Err(MailboxError::Timeout {
                server: self.settings.server(),
                command: self.command,
                secs: self.settings.timeout.as_secs(),
            })
        })
    }
}

async fn command<T>(
    settings: &ImapSettings,
    name: &str,
    work: impl Future<Output = async_imap::error::Result<T>>,
) -> Result<T, MailboxError> {
    work.await.map_err(|e| command_error(settings, name, e))
}

fn command_error(settings: &ImapSettings, name: &str, e: async_imap::error::Error) -> MailboxError {
    MailboxError::Command { server: settings.server(), command: name.to_owned(), reason: e.to_string() }
}

/// Reads the server's greeting, which comes before anything may be said.
async fn greeting(settings: &ImapSettings, client: &mut Client<Connection>) -> Result<(), MailboxError> {
    match client.read_response().await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(MailboxError::Connect {
            server: settings.server(),
            reason: "the server closed the connection without a greeting".into(),
        }),
        Err(e) => Err(MailboxError::Connect { server: settings.server(), reason: e.to_string() }),
    }
}

/// The TLS client configuration: ring, Mozilla's roots, and the extra CA if one is given.
fn tls_config(settings: &ImapSettings) -> Result<ClientConfig, MailboxError> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(pem) = &settings.extra_ca_pem {
        for cert in cirtkit_notify::extra_roots(pem).map_err(MailboxError::Tls)? {
            roots.add(cert).map_err(|e| MailboxError::Tls(format!("the extra CA cannot be used: {e}")))?;
        }
    }
    Ok(ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| MailboxError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

async fn tls_handshake(settings: &ImapSettings, tcp: TcpStream) -> Result<TlsStream<TcpStream>, MailboxError> {
    let connector = TlsConnector::from(Arc::new(tls_config(settings)?));
    let name = ServerName::try_from(settings.host.clone())
        .map_err(|e| MailboxError::Tls(format!("{:?} cannot be checked against a certificate: {e}", settings.host)))?;
    connector
        .connect(name, tcp)
        .await
        .map_err(|e| MailboxError::Tls(format!("the TLS handshake with {} failed: {e}", settings.server())))
}

/// The connection, plain or encrypted: one type, so that STARTTLS can swap one for the other.
#[derive(Debug)]
enum Connection {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Connection {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Connection {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_flush(cx),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ImapSettings {
        ImapSettings {
            host: "127.0.0.1".into(),
            port: 1,
            tls: TlsMode::None,
            extra_ca_pem: None,
            username: "cirt".into(),
            password: "hunter2".into(),
            mailbox: "INBOX".into(),
            processed_folder: None,
            quarantine_folder: None,
            timeout: Duration::from_secs(5),
        }
    }

    #[test]
    fn the_password_is_not_in_debug_output() {
        assert!(!format!("{:?}", settings()).contains("hunter2"));
    }

    #[test]
    fn a_bad_extra_ca_is_refused_with_a_reason() {
        let bad = ImapSettings { extra_ca_pem: Some(b"not pem".to_vec()), ..settings() };
        let e = tls_config(&bad).unwrap_err();
        assert!(e.to_string().starts_with("[imap.tls]"), "{e}");
        assert!(tls_config(&settings()).is_ok());
    }

    #[tokio::test]
    async fn clear_text_to_another_machine_is_refused_before_connecting() {
        let remote = ImapSettings { host: "imap.cirt.example".into(), ..settings() };
        let e = Mailbox::open(&remote).await.unwrap_err();
        assert!(e.to_string().starts_with("[imap.tls]") && e.to_string().contains("in clear"), "{e}");
    }

    #[tokio::test]
    async fn an_unreachable_server_is_a_connect_error() {
        // Port 1 on loopback: nothing listens there.
        let e = Mailbox::open(&settings()).await.unwrap_err();
        assert!(e.to_string().starts_with("[imap.connect] cannot reach the IMAP server 127.0.0.1:1"), "{e}");
    }
}
