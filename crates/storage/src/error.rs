//! What can go wrong in storage, without the driver's types: callers learn what happened in
//! words (and a stable code), not in sqlx's.

use crate::DatabaseUrl;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("[storage.connect] cannot open the database {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("[storage.migrate] migration {version} ({description}) failed: {reason}")]
    Migration { version: i64, description: String, reason: String },
    #[error(
        "[storage.schema] the database has schema version {found}, newer than this cirtkit knows ({known}); upgrade cirtkit"
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error("[storage.not_found] no {entity} {key}")]
    NotFound { entity: &'static str, key: String },
    #[error("[storage.conflict] {0}")]
    Conflict(String),
    #[error("[storage.corrupt] {0}")]
    Corrupt(String),
    #[error("[storage.database] {0}")]
    Database(String),
}

impl StorageError {
    pub(crate) fn connect(url: &DatabaseUrl, e: impl std::fmt::Display) -> Self {
        StorageError::Connect { url: url.to_string(), reason: e.to_string() }
    }

    pub(crate) fn not_found(entity: &'static str, key: impl std::fmt::Display) -> Self {
        StorageError::NotFound { entity, key: key.to_string() }
    }

    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        StorageError::Corrupt(what.to_string())
    }

    /// Whether the database could not be reached (as opposed to a refused change).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StorageError::Connect { .. } | StorageError::Database(_))
    }
}

impl From<sqlx::Error> for StorageError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                return StorageError::Conflict(format!("it already exists ({})", db.message()));
            }
            if db.is_foreign_key_violation() {
                return StorageError::Conflict(format!(
                    "it refers to something that does not exist ({})",
                    db.message()
                ));
            }
            if db.is_check_violation() {
                return StorageError::Conflict(format!("a rule of the schema refused it ({})", db.message()));
            }
        }
        StorageError::Database(e.to_string())
    }
}

impl From<cirtkit_domain::ParseError> for StorageError {
    fn from(e: cirtkit_domain::ParseError) -> Self {
        StorageError::Corrupt(format!("a stored value does not parse: {e}"))
    }
}

impl From<serde_json::Error> for StorageError {
    fn from(e: serde_json::Error) -> Self {
        StorageError::Corrupt(format!("stored JSON does not parse: {e}"))
    }
}
