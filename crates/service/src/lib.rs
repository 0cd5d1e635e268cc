//! cirtkit's use cases: what a person, a token or the local operator may do, checked against
//! their role and recorded in the audit log. The command line, the JSON API and the web UI all
//! call these services, so that they obey one set of rules.

mod accounts;
mod attachments;
mod constituency;
mod error;
mod events;
mod handoff;
mod incidents;
mod intake;
mod partners;
mod principal;
mod public;
mod replies;
mod reruns;
mod sessions;
mod stats;
mod two_factor;

#[cfg(test)]
mod tests;

pub use accounts::{MIN_PASSWORD_CHARS, NewUser, TokenSecret, UserChanges, generate_password};
pub use cirtkit_domain::constituency::transfer;
pub use cirtkit_feeds::RerunReport;
pub use cirtkit_intake as mail;
pub use constituency::ImportReport;
pub use error::ServiceError;
pub use handoff::{DEFAULT_TITLE, HandoffPass, HandoffRule, OwnerMatch, TITLE_PLACEHOLDERS};
pub use incidents::Page;
pub use intake::MailOutcome;
pub use principal::Principal;
pub use public::{PublicReport, ReportCategory};
pub use replies::{Outbound, Reply};
pub use reruns::{FeedSetup, RunOptionsFor};
pub use sessions::{LoginStep, LoginThrottle, NewSession, PENDING_LOGIN, SESSION_IDLE, SESSION_MAX, SessionPrincipal};
pub use stats::Dashboard;
pub use two_factor::TotpEnrolment;

pub use cirtkit_domain as domain;
pub use cirtkit_feeds as feeds;
pub use cirtkit_storage as storage;

use cirtkit_domain::{Clock, ConstituencyIndex, SlaPolicy};
use cirtkit_storage::{Counts, SchemaStatus, Store};
use std::sync::{Arc, RwLock};

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// Settings the services need from the configuration.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    /// The prefix of incident references, such as `CIRT` in `CIRT-2026-00123`.
    pub reference_prefix: String,
    pub sla: SlaPolicy,
    /// The largest attachment kept from a mail, in bytes; a larger one is noted in the journal
    /// and not kept.
    pub max_attachment_bytes: usize,
    /// The hand-off rules (`[[handoff]]`), applied after each feed run.
    pub handoff: Vec<HandoffRule>,
}

/// The default of [`ServiceSettings::max_attachment_bytes`]: as large as a whole message may be.
pub const DEFAULT_MAX_ATTACHMENT_BYTES: usize = cirtkit_intake::MAX_MESSAGE_BYTES;

impl Default for ServiceSettings {
    fn default() -> Self {
        Self {
            reference_prefix: "CIRT".into(),
            sla: SlaPolicy::default(),
            max_attachment_bytes: DEFAULT_MAX_ATTACHMENT_BYTES,
            handoff: Vec::new(),
        }
    }
}

/// The services, sharing one store, one clock and the in-memory constituency index.
#[derive(Debug, Clone)]
pub struct Services {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    clock: Arc<dyn Clock>,
    settings: ServiceSettings,
    index: RwLock<Arc<ConstituencyIndex>>,
    throttle: sessions::LoginThrottle,
    pending_logins: sessions::PendingLogins,
    public_reports: public::RateLimit,
    /// How replies leave, once the wiring has set it (see `Services::set_outbound`).
    outbound: RwLock<Option<replies::Outbound>>,
    /// The declared feeds, once the wiring has set them (see `Services::set_feeds`).
    feeds: RwLock<Option<reruns::FeedSetup>>,
    reruns: reruns::Reruns,
}

/// What `cirtkit status` reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Status {
    #[serde(flatten)]
    pub counts: Counts,
    pub schema_version: i64,
    pub backend: &'static str,
}

impl Services {
    /// Builds the services over a migrated store and loads the constituency index.
    pub async fn new(store: Store, clock: Arc<dyn Clock>, settings: ServiceSettings) -> Result<Services> {
        cirtkit_domain::IncidentReference::check_prefix(&settings.reference_prefix)?;
        let services = Services {
            inner: Arc::new(Inner {
                store,
                clock,
                settings,
                index: RwLock::new(Arc::default()),
                throttle: sessions::LoginThrottle::default(),
                pending_logins: sessions::PendingLogins::default(),
                public_reports: public::RateLimit::default(),
                outbound: RwLock::default(),
                feeds: RwLock::default(),
                reruns: reruns::Reruns::default(),
            }),
        };
        services.rebuild_index().await?;
        Ok(services)
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn clock(&self) -> &dyn Clock {
        self.inner.clock.as_ref()
    }

    pub(crate) fn throttle(&self) -> &sessions::LoginThrottle {
        &self.inner.throttle
    }

    pub(crate) fn pending_logins(&self) -> &sessions::PendingLogins {
        &self.inner.pending_logins
    }

    pub(crate) fn public_reports(&self) -> &public::RateLimit {
        &self.inner.public_reports
    }

    pub fn settings(&self) -> &ServiceSettings {
        &self.inner.settings
    }

    /// The constituency index as it is now (cheap: a shared pointer).
    pub fn index(&self) -> Arc<ConstituencyIndex> {
        self.inner.index.read().map(|g| Arc::clone(&g)).unwrap_or_else(|e| Arc::clone(&e.into_inner()))
    }

    /// Reloads the constituency from the store and swaps in a new index.
    pub async fn rebuild_index(&self) -> Result<()> {
        let orgs = self.store().organisations().await?;
        let index = Arc::new(ConstituencyIndex::from_organisations(&orgs));
        match self.inner.index.write() {
            Ok(mut g) => *g = index,
            Err(e) => *e.into_inner() = index,
        }
        Ok(())
    }

    /// Counts and schema version. Anyone signed in may see them.
    pub async fn status(&self) -> Result<Status> {
        let counts = self.store().counts().await?;
        let schema: SchemaStatus = self.store().schema_status().await?;
        Ok(Status { counts, schema_version: schema.current, backend: self.store().backend_name() })
    }

    /// Recomputes the audit chain. Admins and auditors only.
    pub async fn verify_audit(&self, who: &Principal) -> Result<cirtkit_storage::AuditVerification> {
        who.require(cirtkit_domain::Permission::ReadAudit)?;
        Ok(self.store().verify_audit().await?)
    }

    async fn begin(&self, who: &Principal) -> Result<cirtkit_storage::WriteTx> {
        Ok(self.store().begin(&who.actor(), self.clock().now()).await?)
    }
}
