//! Reading the report mailbox: each unseen message is filed through the same path as
//! `cirtkit mail ingest`, and marked filed in the mailbox only once its incident is committed, so
//! that a crash in between leaves the message to be read again, never lost. A message already
//! filed (the same `Message-ID`) is only marked, so a second read files nothing twice. A message
//! that is not readable mail is left in place (or moved to the quarantine folder) and reported;
//! the others go on.

use cirtkit_mailbox::{ImapSettings, Mailbox, MailboxError};
use cirtkit_service::{MailOutcome, Principal, Services, mail::parse_mail};
use std::time::Duration;
use tokio::sync::watch;

/// What became of one message of the mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolledMessage {
    /// Filed: an incident was opened, or the mail threaded into one.
    Filed { uid: u32, outcome: MailOutcome },
    /// Filed by an earlier poll (its `Message-ID` is known): only marked filed now.
    AlreadyFiled { uid: u32, reference: String },
    /// Not readable as mail: left unseen in the mailbox, or moved to the quarantine folder.
    Unreadable { uid: u32, reason: String, quarantined: bool },
    /// Readable, but not filed (the store refused or was unreachable): left unseen, to be tried
    /// again at the next poll.
    NotFiled { uid: u32, reason: String },
}

impl PolledMessage {
    /// Whether the message needs a person's attention.
    pub fn is_problem(&self) -> bool {
        matches!(self, PolledMessage::Unreadable { .. } | PolledMessage::NotFiled { .. })
    }
}

/// Reads the mailbox once: every unseen message, oldest first. `report` hears of each message as
/// it is done with. Stops early, between two messages, when `stop` turns true.
pub async fn poll_once(
    services: &Services,
    who: &Principal,
    settings: &ImapSettings,
    stop: Option<&watch::Receiver<bool>>,
    report: &mut impl FnMut(&PolledMessage),
) -> Result<(), MailboxError> {
    let mut mailbox = Mailbox::open(settings).await?;
    let result = file_unseen(services, who, &mut mailbox, stop, report).await;
    mailbox.close().await;
    result
}

async fn file_unseen(
    services: &Services,
    who: &Principal,
    mailbox: &mut Mailbox,
    stop: Option<&watch::Receiver<bool>>,
    report: &mut impl FnMut(&PolledMessage),
) -> Result<(), MailboxError> {
    let unseen = mailbox.unseen().await?;
    if !unseen.is_empty() {
        tracing::debug!(count = unseen.len(), "unseen messages in the mailbox");
    }
    for uid in unseen {
        if stop.is_some_and(|s| *s.borrow()) {
            break;
        }
        let Some(raw) = mailbox.fetch(uid).await? else { continue };
        let done = file_one(services, who, mailbox, uid, &raw).await?;
        report(&done);
    }
    Ok(())
}

async fn file_one(
    services: &Services,
    who: &Principal,
    mailbox: &mut Mailbox,
    uid: u32,
    raw: &[u8],
) -> Result<PolledMessage, MailboxError> {
    let mail = match parse_mail(raw) {
        Ok(mail) => mail,
        Err(e) => {
            let quarantined = mailbox.quarantine(uid).await?;
            tracing::warn!(uid, error = %e, quarantined, "a message in the mailbox is not readable mail");
            return Ok(PolledMessage::Unreadable { uid, reason: e.to_string(), quarantined });
        }
    };
    if let Some(id) = &mail.message_id {
        match services.incident_of_received_mail(who, id).await {
            Ok(Some(incident)) => {
                mailbox.mark_filed(uid).await?;
                return Ok(PolledMessage::AlreadyFiled { uid, reference: incident.reference.to_string() });
            }
            Ok(None) => {}
            Err(e) => return Ok(PolledMessage::NotFiled { uid, reason: e.to_string() }),
        }
    }
    match services.ingest_mail(who, mail).await {
        Ok(outcome) => {
            // Only now, with the incident committed, may the mailbox forget the message.
            mailbox.mark_filed(uid).await?;
            Ok(PolledMessage::Filed { uid, outcome })
        }
        Err(e) => {
            tracing::warn!(uid, error = %e, "a message was not filed; it stays unseen for the next poll");
            Ok(PolledMessage::NotFiled { uid, reason: e.to_string() })
        }
    }
}

/// Polls every `interval` until `stop` turns true (or its sender is gone). A poll that fails (the
/// server is down, the password changed) is logged and tried again at the next interval.
pub async fn poll_until_stopped(
    services: Services,
    who: Principal,
    settings: ImapSettings,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
    mut report: impl FnMut(&PolledMessage),
) {
    tracing::info!(server = %format!("{}:{}", settings.host, settings.port), mailbox = %settings.mailbox,
        interval_secs = interval.as_secs(), "reading the report mailbox");
    loop {
        if let Err(e) = poll_once(&services, &who, &settings, Some(&stop), &mut report).await {
            tracing::warn!(error = %e, "the mailbox was not read; trying again at the next poll");
        }
        if *stop.borrow() {
            break;
        }
        tokio::select! {
            changed = stop.changed() => if changed.is_err() || *stop.borrow() { break },
            () = tokio::time::sleep(interval) => {}
        }
    }
    tracing::info!("stopped reading the report mailbox");
}

/// Logs what became of a message (the poller inside `cirtkit serve` has no terminal to print to).
pub fn log_message(message: &PolledMessage) {
    match message {
        PolledMessage::Filed { uid, outcome } => {
            tracing::info!(uid, reference = %outcome.reference, created = outcome.created, "mail filed from the mailbox")
        }
        PolledMessage::AlreadyFiled { uid, reference } => {
            tracing::info!(uid, %reference, "mail already filed; marked in the mailbox")
        }
        // Already logged at warn where it happened.
        PolledMessage::Unreadable { .. } | PolledMessage::NotFiled { .. } => {}
    }
}
