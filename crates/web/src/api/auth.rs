//! Who is calling the API: `Authorization: Bearer <token>` names a principal, or the request is
//! refused with 401 before any handler runs.

use crate::{ApiError, WebState};
use axum::{
    extract::FromRequestParts,
    http::{StatusCode, header, request::Parts},
};
use cirtkit_service::Principal;

/// The authenticated caller of an API route.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl FromRequestParts<WebState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Caller, ApiError> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "send an API token as `Authorization: Bearer <token>` (create one with `cirtkit token create`)",
            ));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    "the Authorization header must be `Bearer <token>`",
                )
            })?;
        Ok(Caller(state.services().authenticate_token(token).await?))
    }
}
