//! Typed identifiers, so that an incident's id can never be passed where a user's is expected.

use std::fmt;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

typed_id!(
    /// A constituent organisation.
    OrganisationId
);
typed_id!(
    /// An incident (its internal id; people use its `IncidentReference`).
    IncidentId
);
typed_id!(
    /// One entry in an incident's journal.
    JournalEntryId
);
typed_id!(
    /// An observable attached to an incident.
    ObservableId
);
typed_id!(
    /// A partner CIRT.
    PartnerId
);
typed_id!(
    /// A user account.
    UserId
);
typed_id!(
    /// An API token.
    TokenId
);
typed_id!(
    /// A file kept with an incident (a mail's attachment).
    AttachmentId
);
