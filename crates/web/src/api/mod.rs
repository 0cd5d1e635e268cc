//! The JSON API under `/api/v1` (to come) and what every JSON answer shares: the one error type,
//! and the answers for requests that match no route.

mod error;

pub use error::ApiError;

use axum::http::{Method, Uri};

/// Answers a path no route knows. Only the path is echoed: the query may hold personal data.
pub(crate) async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::no_route(&method, uri.path())
}

/// Answers a known path asked with a method it does not take (axum adds the `Allow` header).
pub(crate) async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::method_not_allowed(&method, uri.path())
}
