//! What a service call can answer instead of a result. Each variant says whose fault it is: the
//! caller's (4xx at the HTTP edge, with how to fix it) or ours (5xx, logged with its cause).

use cirtkit_domain::ParseError;
use cirtkit_storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("[auth.unauthenticated] {0}")]
    Unauthenticated(String),
    #[error("[auth.forbidden] {0}")]
    Forbidden(String),
    #[error("[input.invalid] {0}")]
    Invalid(String),
    #[error("[input.not_found] {0}")]
    NotFound(String),
    #[error("[input.conflict] {0}")]
    Conflict(String),
    #[error(transparent)]
    Storage(StorageError),
}

impl ServiceError {
    /// A stable, greppable code.
    pub fn code(&self) -> &'static str {
        match self {
            ServiceError::Unauthenticated(_) => "unauthenticated",
            ServiceError::Forbidden(_) => "forbidden",
            ServiceError::Invalid(_) => "invalid",
            ServiceError::NotFound(_) => "not_found",
            ServiceError::Conflict(_) => "conflict",
            ServiceError::Storage(_) => "internal",
        }
    }

    /// Whether the caller can fix it (as opposed to a fault of ours).
    pub fn is_caller_error(&self) -> bool {
        !matches!(self, ServiceError::Storage(_))
    }
}

impl From<StorageError> for ServiceError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound { entity, key } => ServiceError::NotFound(format!("no {entity} {key}")),
            StorageError::Conflict(m) => ServiceError::Conflict(m),
            other => ServiceError::Storage(other),
        }
    }
}

impl From<ParseError> for ServiceError {
    fn from(e: ParseError) -> Self {
        ServiceError::Invalid(e.to_string())
    }
}

impl From<cirtkit_domain::incident::IllegalTransition> for ServiceError {
    fn from(e: cirtkit_domain::incident::IllegalTransition) -> Self {
        ServiceError::Conflict(e.to_string())
    }
}

impl From<cirtkit_domain::constituency::transfer::TransferError> for ServiceError {
    fn from(e: cirtkit_domain::constituency::transfer::TransferError) -> Self {
        ServiceError::Invalid(e.to_string())
    }
}

impl From<serde_json::Error> for ServiceError {
    fn from(e: serde_json::Error) -> Self {
        ServiceError::Storage(StorageError::Corrupt(e.to_string()))
    }
}
