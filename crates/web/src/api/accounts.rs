//! `/api/v1/users` and `/api/v1/tokens`: accounts and API tokens.

use super::{Caller, ParseField, time, time_opt};
use crate::{ApiError, WebState};
use axum::{
    Json,
    extract::{Path, Query, State, rejection::JsonRejection},
    http::StatusCode,
};
use cirtkit_domain::{EmailAddress, Language, OrganisationId, Role, TokenId, User, UserName};
use cirtkit_service::{NewUser, UserChanges, storage::TokenRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A user account (never its password).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    pub id: i64,
    pub name: String,
    pub display_name: String,
    pub email: Option<String>,
    /// admin, coordinator, analyst, auditor or constituent.
    pub role: String,
    /// For a constituent: its organisation's id.
    pub organisation: Option<i64>,
    pub language: String,
    pub disabled: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<User> for UserOut {
    fn from(u: User) -> UserOut {
        UserOut {
            id: u.id.0,
            name: u.name.to_string(),
            display_name: u.display_name,
            email: u.email.map(|e| e.to_string()),
            role: u.role.name().to_owned(),
            organisation: u.role.organisation().map(|o| o.0),
            language: u.language.to_string(),
            disabled: u.disabled,
            created_at: time(u.created_at),
        }
    }
}

/// A user to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserIn {
    /// Login name: lower-case letters, digits, '.', '_' or '-'.
    pub name: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    /// admin, coordinator, analyst, auditor or constituent.
    pub role: String,
    /// Required for a constituent: its organisation's id.
    pub organisation: Option<i64>,
    /// en, fr or ar (default en).
    pub language: Option<String>,
    /// At least 12 characters; without one the account cannot sign in until a password is set.
    pub password: Option<String>,
}

/// Users.
#[utoipa::path(operation_id = "list_users", get, path = "/api/v1/users", tag = "accounts", responses((status = 200, body = Vec<UserOut>)),
    security(("bearer" = [])))]
pub async fn list_users(State(state): State<WebState>, Caller(caller): Caller) -> Result<Json<Vec<UserOut>>, ApiError> {
    Ok(Json(state.services().users(&caller).await?.into_iter().map(UserOut::from).collect()))
}

/// Create a user (admins only).
#[utoipa::path(operation_id = "create_user", post, path = "/api/v1/users", tag = "accounts", request_body = NewUserIn,
    responses((status = 201, body = UserOut), (status = 403), (status = 409, description = "The name is taken")),
    security(("bearer" = [])))]
pub async fn create_user(
    State(state): State<WebState>,
    Caller(caller): Caller,
    body: Result<Json<NewUserIn>, JsonRejection>,
) -> Result<(StatusCode, Json<UserOut>), ApiError> {
    let Json(body) = body?;
    let name: UserName = body.name.parse().field("name")?;
    let role = Role::from_parts(&body.role, body.organisation.map(OrganisationId)).field("role")?;
    let new = NewUser {
        display_name: body.display_name.unwrap_or_else(|| name.to_string()),
        name,
        email: body.email.map(|e| e.parse::<EmailAddress>().field("email")).transpose()?,
        role,
        language: body.language.as_deref().unwrap_or("en").parse::<Language>().field("language")?,
        password: body.password,
    };
    let user = state.services().create_user(&caller, new).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// Read a user (anyone may read themselves).
#[utoipa::path(operation_id = "read_user", get, path = "/api/v1/users/{name}", tag = "accounts", params(("name" = String, Path)),
    responses((status = 200, body = UserOut), (status = 404)), security(("bearer" = [])))]
pub async fn read_user(
    State(state): State<WebState>,
    Caller(caller): Caller,
    Path(name): Path<String>,
) -> Result<Json<UserOut>, ApiError> {
    let name: UserName = name.parse().field("name")?;
    Ok(Json(state.services().user(&caller, &name).await?.into()))
}

/// Changes to a user: only the fields given change. A user may change their own display name,
/// e-mail and language; role and status are for admins.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatchIn {
    pub display_name: Option<String>,
    /// An address, or null to remove it.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    /// admin, coordinator, analyst, auditor or constituent (with `organisation`).
    pub role: Option<String>,
    pub organisation: Option<i64>,
    /// en, fr or ar.
    pub language: Option<String>,
    pub disabled: Option<bool>,
}

/// Change a user.
#[utoipa::path(operation_id = "update_user", patch, path = "/api/v1/users/{name}", tag = "accounts",
    params(("name" = String, Path)), request_body = UserPatchIn,
    responses((status = 200, body = UserOut), (status = 403)), security(("bearer" = [])))]
pub async fn update_user(
    State(state): State<WebState>,
    Caller(caller): Caller,
    Path(name): Path<String>,
    body: Result<Json<UserPatchIn>, JsonRejection>,
) -> Result<Json<UserOut>, ApiError> {
    let Json(body) = body?;
    let name: UserName = name.parse().field("name")?;
    let changes = UserChanges {
        display_name: body.display_name,
        email: body.email.map(|e| e.map(|e| e.parse::<EmailAddress>().field("email")).transpose()).transpose()?,
        role: body
            .role
            .map(|r| Role::from_parts(&r, body.organisation.map(OrganisationId)).field("role"))
            .transpose()?,
        language: body.language.map(|l| l.parse::<Language>().field("language")).transpose()?,
        disabled: body.disabled,
    };
    Ok(Json(state.services().update_user(&caller, &name, changes).await?.into()))
}

/// A new password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordIn {
    /// At least 12 characters.
    pub password: String,
}

/// Set a user's password: one's own, or anyone's for an admin.
#[utoipa::path(operation_id = "set_password", put, path = "/api/v1/users/{name}/password", tag = "accounts",
    params(("name" = String, Path)), request_body = PasswordIn,
    responses((status = 204, description = "Changed"), (status = 422, description = "Too short")), security(("bearer" = [])))]
pub async fn set_password(
    State(state): State<WebState>,
    Caller(caller): Caller,
    Path(name): Path<String>,
    body: Result<Json<PasswordIn>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let Json(body) = body?;
    let name: UserName = name.parse().field("name")?;
    state.services().set_password(&caller, &name, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An API token (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOut {
    pub id: i64,
    pub user: String,
    pub name: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub last_used_at: Option<String>,
    #[schema(format = DateTime)]
    pub revoked_at: Option<String>,
}

impl From<TokenRecord> for TokenOut {
    fn from(t: TokenRecord) -> TokenOut {
        TokenOut {
            id: t.id.0,
            user: t.user_name,
            name: t.name,
            created_at: time(t.created_at),
            last_used_at: time_opt(t.last_used_at),
            revoked_at: time_opt(t.revoked_at),
        }
    }
}

/// The tokens list's filter.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TokenFilter {
    /// Only this user's tokens (a user may always list their own).
    pub user: Option<String>,
}

/// API tokens.
#[utoipa::path(operation_id = "list_tokens", get, path = "/api/v1/tokens", tag = "accounts", params(TokenFilter),
    responses((status = 200, body = Vec<TokenOut>)), security(("bearer" = [])))]
pub async fn list_tokens(
    State(state): State<WebState>,
    Caller(caller): Caller,
    filter: Result<Query<TokenFilter>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<TokenOut>>, ApiError> {
    let Query(filter) = filter.map_err(|e| super::invalid("query", e.body_text()))?;
    let user = filter.user.map(|u| u.parse::<UserName>().field("user")).transpose()?;
    Ok(Json(state.services().tokens(&caller, user.as_ref()).await?.into_iter().map(TokenOut::from).collect()))
}

/// A token to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenIn {
    /// What the token is for.
    pub name: String,
    /// For whom (admins only); default: the caller.
    pub user: Option<String>,
}

/// A new token, with its secret shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewTokenOut {
    pub token: TokenOut,
    /// Send it as `Authorization: Bearer <secret>`. It is not stored and cannot be shown again.
    pub secret: String,
}

/// Create an API token.
#[utoipa::path(operation_id = "create_token", post, path = "/api/v1/tokens", tag = "accounts", request_body = NewTokenIn,
    responses((status = 201, body = NewTokenOut)), security(("bearer" = [])))]
pub async fn create_token(
    State(state): State<WebState>,
    Caller(caller): Caller,
    body: Result<Json<NewTokenIn>, JsonRejection>,
) -> Result<(StatusCode, Json<NewTokenOut>), ApiError> {
    let Json(body) = body?;
    let user = match body.user {
        Some(u) => u.parse::<UserName>().field("user")?,
        None => {
            caller.user().map(|u| u.name.clone()).ok_or_else(|| super::invalid("user", "say whose token this is"))?
        }
    };
    let (record, secret) = state.services().create_token(&caller, &user, &body.name).await?;
    Ok((StatusCode::CREATED, Json(NewTokenOut { token: record.into(), secret: secret.0 })))
}

/// Revoke an API token.
#[utoipa::path(operation_id = "revoke_token", delete, path = "/api/v1/tokens/{id}", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 200, body = TokenOut), (status = 409, description = "Already revoked")), security(("bearer" = [])))]
pub async fn revoke_token(
    State(state): State<WebState>,
    Caller(caller): Caller,
    Path(id): Path<i64>,
) -> Result<Json<TokenOut>, ApiError> {
    Ok(Json(state.services().revoke_token(&caller, TokenId(id)).await?.into()))
}
