//! Replies from an incident: mail to the affected organisations (or to whom the team names), with
//! the incident's reference in the subject and its TLP label on top, noted in the journal once
//! the relay has taken it. TLP:RED is never mailed: it stays with the people it was given to.

use crate::{Principal, Result, ServiceError, Services};
use cirtkit_domain::{ContactRole, EmailAddress, IncidentId, JournalEntry, JournalKind, Permission, Tlp};
use cirtkit_notify::{OutboundMail, OutboundMailer, compose};
use cirtkit_storage::MailDirection;
use std::sync::Arc;

/// How outbound mail leaves: the mailer, and the team name that signs every message.
#[derive(Debug, Clone)]
pub struct Outbound {
    pub mailer: Arc<dyn OutboundMailer>,
    pub team_name: String,
}

/// A reply to send from an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The recipients; none means the abuse contacts of the incident's organisations.
    pub to: Vec<EmailAddress>,
    /// The subject; none means the incident's title. The reference is added in front.
    pub subject: Option<String>,
    pub body: String,
}

impl Services {
    /// Lets the services send mail (without it, replies answer that mail is not configured).
    pub fn set_outbound(&self, outbound: Outbound) {
        match self.inner.outbound.write() {
            Ok(mut g) => *g = Some(outbound),
            Err(e) => *e.into_inner() = Some(outbound),
        }
    }

    fn outbound(&self) -> Option<Outbound> {
        self.inner.outbound.read().map(|g| g.clone()).unwrap_or_else(|e| e.into_inner().clone())
    }

    /// Mails a reply about an incident and notes it in the journal. Nothing is noted when the
    /// relay does not take the message.
    pub async fn send_reply(&self, who: &Principal, id: IncidentId, reply: Reply) -> Result<JournalEntry> {
        who.require(Permission::EditIncidents)?;
        let incident = self.incident(who, id).await?;
        let Some(outbound) = self.outbound() else {
            return Err(ServiceError::Conflict(
                "outbound mail is not configured: set `smtp.host` and `smtp.from` in cirtkit.toml".into(),
            ));
        };
        if incident.tlp == Tlp::Red {
            return Err(ServiceError::Conflict(format!(
                "{} is TLP:RED, which is not sent by mail: share it in person or by a channel the recipients agreed to",
                incident.reference
            )));
        }
        let text = reply.body.trim();
        if text.is_empty() {
            return Err(ServiceError::Invalid("body: a reply needs some text".into()));
        }
        let mut to = reply.to;
        if to.is_empty() {
            for org in &incident.organisations {
                if let Some(org) = self.store().organisation(*org).await? {
                    to.extend(
                        org.details.contacts.iter().filter(|c| c.role == ContactRole::Abuse).map(|c| c.email.clone()),
                    );
                }
            }
        }
        to.sort();
        to.dedup();
        if to.is_empty() {
            return Err(ServiceError::Invalid(
                "to: name the recipients; the incident's organisations have no abuse contact to default to".into(),
            ));
        }
        let subject = compose::subject(&incident.reference, reply.subject.as_deref().unwrap_or(&incident.title));
        let body = compose::body(incident.tlp, text, &outbound.team_name);
        // The reply answers the last mail received into the incident, so the recipient's mail
        // program threads it with what they sent.
        let parent = self.store().last_received_message_id(incident.id).await?.map(|id| format!("<{id}>"));
        let mail = OutboundMail {
            to: to.clone(),
            subject: subject.clone(),
            body: body.clone(),
            reply_to_message_id: parent,
            date: self.clock().now().into(),
        };
        let message_id = outbound.mailer.send(mail).await.map_err(|e| {
            tracing::warn!(incident = %incident.reference, error = %e, "a reply was not sent");
            ServiceError::Conflict(format!("the reply was not sent, try again later: {e}"))
        })?;
        let recipients: Vec<String> = to.iter().map(ToString::to_string).collect();
        let entry = format!("To: {}\nSubject: {subject}\nMessage-ID: {message_id}\n\n{body}", recipients.join(", "));
        let mut tx = self.begin(who).await?;
        let entry = tx.add_journal_entry(&incident, JournalKind::MailOut, &who.display_name(), &entry, None).await?;
        // Answers name this Message-ID in In-Reply-To: they are threaded back into the incident.
        tx.add_message_id(&incident, entry.id, &cirtkit_intake::message_id(&message_id), MailDirection::Out).await?;
        tx.commit().await?;
        Ok(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use cirtkit_domain::{Clock, Contact, ManualClock, NewIncident, NewOrganisation, Pap, Sector, Severity};
    use cirtkit_notify::{NotifyError, SendFuture};
    use cirtkit_storage::{ConnectOptions, DatabaseUrl, Store};
    use std::sync::Mutex;

    /// Keeps what it is given, or refuses everything like a relay that is down.
    #[derive(Debug, Default)]
    struct FakeMailer {
        sent: Mutex<Vec<OutboundMail>>,
        down: bool,
    }

    impl OutboundMailer for FakeMailer {
        fn send(&self, mail: OutboundMail) -> SendFuture<'_> {
            Box::pin(async move {
                if self.down {
                    return Err(NotifyError::Send("connection refused".into()));
                }
                self.sent.lock().unwrap().push(mail);
                Ok("<1@cirt.example>".into())
            })
        }
    }

    async fn services(dir: &tempfile::TempDir) -> Services {
        let url = DatabaseUrl::sqlite_file(&dir.path().join("t.db"));
        let store = Store::connect(&url, &ConnectOptions::default()).await.unwrap();
        let clock = Arc::new(ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 5, 4, 8, 0, 0).unwrap()));
        store.migrate(clock.now()).await.unwrap();
        Services::new(store, clock, crate::ServiceSettings::default()).await.unwrap()
    }

    async fn incident(s: &Services, tlp: Tlp) -> IncidentId {
        let op = Principal::Operator("test".into());
        let org = NewOrganisation {
            name: format!("Banque {tlp}"),
            sector: Sector::Finance,
            country: "SN".parse().unwrap(),
            languages: vec!["fr".parse().unwrap()],
            contacts: vec![Contact {
                name: "SOC".into(),
                email: "soc@banque.example".parse().unwrap(),
                phone: None,
                openpgp_key: None,
                language: "fr".parse().unwrap(),
                role: ContactRole::Abuse,
            }],
            netblocks: vec![],
            asns: vec![],
            domains: vec![],
        };
        let org = s.create_organisation(&op, org).await.unwrap().id;
        let new = NewIncident {
            title: "Infected host".into(),
            description: String::new(),
            rsit: "malicious-code/infected-system".parse().unwrap(),
            severity: Severity::High,
            tlp,
            pap: Pap::Green,
            assignee: None,
            organisations: vec![org],
            observables: vec![],
        };
        s.create_incident(&op, new).await.unwrap().id
    }

    fn reply() -> Reply {
        Reply { to: vec![], subject: None, body: "Please clean the host.".into() }
    }

    #[tokio::test]
    async fn a_reply_is_composed_sent_and_journalled() {
        let dir = tempfile::tempdir().unwrap();
        let s = services(&dir).await;
        let id = incident(&s, Tlp::Green).await;
        let op = Principal::Operator("test".into());
        let mailer = Arc::new(FakeMailer::default());
        s.set_outbound(Outbound { mailer: mailer.clone(), team_name: "CERT Test".into() });
        let entry = s.send_reply(&op, id, reply()).await.unwrap();
        let sent = mailer.sent.lock().unwrap().clone();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].to, vec!["soc@banque.example".parse().unwrap()]);
        assert!(sent[0].subject.starts_with("[CIRT-2026-") && sent[0].subject.ends_with("] Infected host"));
        assert!(sent[0].body.starts_with("TLP:GREEN — ") && sent[0].body.ends_with("CERT Test\n"));
        assert_eq!(sent[0].date, std::time::SystemTime::from(s.clock().now()), "the clock dates the mail");
        assert_eq!(entry.kind, JournalKind::MailOut);
        assert!(entry.body.contains("Message-ID: <1@cirt.example>"), "{}", entry.body);
    }

    #[tokio::test]
    async fn nothing_is_journalled_when_mail_cannot_go() {
        let dir = tempfile::tempdir().unwrap();
        let s = services(&dir).await;
        let op = Principal::Operator("test".into());
        let green = incident(&s, Tlp::Green).await;
        let e = s.send_reply(&op, green, reply()).await.unwrap_err();
        assert!(matches!(&e, ServiceError::Conflict(m) if m.contains("not configured")), "{e}");
        s.set_outbound(Outbound {
            mailer: Arc::new(FakeMailer { down: true, ..Default::default() }),
            team_name: "T".into(),
        });
        let e = s.send_reply(&op, green, reply()).await.unwrap_err();
        assert!(matches!(&e, ServiceError::Conflict(m) if m.contains("[mail.send]")), "{e}");
        let red = incident(&s, Tlp::Red).await;
        let e = s.send_reply(&op, red, reply()).await.unwrap_err();
        assert!(matches!(&e, ServiceError::Conflict(m) if m.contains("TLP:RED")), "{e}");
        assert!(s.journal(&op, green).await.unwrap().is_empty());
        assert!(s.journal(&op, red).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn an_answer_to_a_reply_is_threaded_into_its_incident() {
        let dir = tempfile::tempdir().unwrap();
        let s = services(&dir).await;
        let id = incident(&s, Tlp::Green).await;
        let op = Principal::Operator("test".into());
        s.set_outbound(Outbound { mailer: Arc::new(FakeMailer::default()), team_name: "CERT Test".into() });
        s.send_reply(&op, id, reply()).await.unwrap();
        // The answer's subject has lost the reference: its In-Reply-To finds the incident.
        let raw = b"From: soc@banque.example\r\nSubject: Re: your mail\r\nMessage-ID: <a1@banque.example>\r\n\
In-Reply-To: <1@cirt.example>\r\n\r\nThe host is clean.\r\n";
        let outcome = s.ingest_mail(&op, cirtkit_intake::parse_mail(raw).unwrap()).await.unwrap();
        let incident = s.incident(&op, id).await.unwrap();
        assert_eq!((outcome.reference, outcome.created), (incident.reference, false));
        let journal = s.journal(&op, id).await.unwrap();
        assert_eq!(journal.iter().map(|e| e.kind).collect::<Vec<_>>(), [JournalKind::MailOut, JournalKind::MailIn]);

        // The next reply answers that mail: the recipient's mail program threads the two.
        let mailer = Arc::new(FakeMailer::default());
        s.set_outbound(Outbound { mailer: mailer.clone(), team_name: "CERT Test".into() });
        s.send_reply(&op, id, reply()).await.unwrap();
        let sent = mailer.sent.lock().unwrap().clone();
        assert_eq!(sent[0].reply_to_message_id.as_deref(), Some("<a1@banque.example>"));
    }
}
