//! Administration: users (create, role, disable, reset the second factor) and API tokens.
//! The services refuse all of it to anyone but an admin (a user may manage their own tokens).

use super::{Chrome, OrPage, Viewer, error_page, render_with, see_other, when};
use crate::WebState;
use axum::{
    Form,
    extract::{Path, State},
    http::StatusCode,
    response::Response,
};
use cirtkit_domain::{Language, OrganisationId, Role, TokenId, User, UserName};
use cirtkit_service::{NewUser, ServiceError, UserChanges, storage::TokenRecord};
use serde::Deserialize;

struct UserRow {
    u: User,
    role_label: String,
    created: String,
}

#[derive(askama::Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    c: Chrome,
    users: Vec<UserRow>,
    orgs: Vec<(i64, String)>,
    error: Option<String>,
    created: Option<(String, String)>,
}

async fn users_page(
    state: &WebState,
    viewer: &Viewer,
    error: Option<String>,
    created: Option<(String, String)>,
    status: StatusCode,
) -> Result<Response, Response> {
    let services = state.services();
    let t = viewer.t();
    // Listing users is for admins: the page is theirs alone.
    viewer.principal.require(cirtkit_domain::Permission::ManageUsers).or_page(viewer)?;
    let users = services.users(&viewer.principal).await.or_page(viewer)?;
    let orgs = services.organisations(&viewer.principal).await.or_page(viewer)?;
    let page = UsersPage {
        c: Chrome::new(viewer, "admin", t.get("admin-users")),
        users: users
            .into_iter()
            .map(|u| UserRow { role_label: t.role(&u.role), created: when(u.created_at), u })
            .collect(),
        orgs: orgs.into_iter().map(|o| (o.id.0, o.details.name)).collect(),
        error,
        created,
    };
    Ok(render_with(status, &page))
}

/// `GET /admin/users`.
pub(crate) async fn users(State(state): State<WebState>, viewer: Viewer) -> Result<Response, Response> {
    users_page(&state, &viewer, None, None, StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct NewUserForm {
    csrf: String,
    name: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    role: String,
    #[serde(default)]
    organisation: String,
    language: String,
}

/// `POST /admin/users`: a new account with a generated password, shown once.
pub(crate) async fn create_user(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<NewUserForm>,
) -> Result<Response, Response> {
    viewer.check_csrf(&form.csrf)?;
    let result = async {
        let org = if form.organisation.is_empty() {
            None
        } else {
            Some(OrganisationId(
                form.organisation.parse().map_err(|_| ServiceError::Invalid("choose an organisation".into()))?,
            ))
        };
        let password = cirtkit_service::generate_password();
        let new = NewUser {
            name: form.name.parse::<UserName>()?,
            display_name: form.display_name.trim().to_owned(),
            email: Some(form.email.trim()).filter(|e| !e.is_empty()).map(str::parse).transpose()?,
            role: Role::from_parts(&form.role, org)?,
            language: form.language.parse::<Language>()?,
            password: Some(password.clone()),
        };
        let user = state.services().create_user(&viewer.principal, new).await?;
        Ok::<_, ServiceError>((user.name.to_string(), password))
    }
    .await;
    match result {
        Ok(created) => users_page(&state, &viewer, None, Some(created), StatusCode::CREATED).await,
        Err(e) if e.is_caller_error() && !matches!(e, ServiceError::Forbidden(_)) => {
            users_page(&state, &viewer, Some(e.to_string()), None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(error_page(&viewer, &e)),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct ChangeUserForm {
    csrf: String,
    action: String,
}

/// `POST /admin/users/{name}`: disable, enable, or turn off the second factor (a lost phone).
pub(crate) async fn change_user(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<ChangeUserForm>,
) -> Result<Response, Response> {
    viewer.check_csrf(&form.csrf)?;
    let services = state.services();
    let result = async {
        let name: UserName = name.parse()?;
        match form.action.as_str() {
            "disable" => services.set_user_disabled(&viewer.principal, &name, true).await.map(|_| ()),
            "enable" => services.set_user_disabled(&viewer.principal, &name, false).await.map(|_| ()),
            "reset-totp" => services.disable_totp(&viewer.principal, &name, None).await,
            role => {
                let changes = UserChanges { role: Some(Role::from_parts(role, None)?), ..UserChanges::default() };
                services.update_user(&viewer.principal, &name, changes).await.map(|_| ())
            }
        }
    }
    .await;
    match result {
        Ok(()) => Ok(see_other("/admin/users")),
        Err(e) if e.is_caller_error() && !matches!(e, ServiceError::Forbidden(_) | ServiceError::NotFound(_)) => {
            users_page(&state, &viewer, Some(e.to_string()), None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(error_page(&viewer, &e)),
    }
}

struct TokenRow {
    t: TokenRecord,
    created: String,
    last_used: String,
}

#[derive(askama::Template)]
#[template(path = "admin_tokens.html")]
struct TokensPage {
    c: Chrome,
    tokens: Vec<TokenRow>,
    users: Vec<String>,
    error: Option<String>,
    secret: Option<String>,
    admin: bool,
}

async fn tokens_page(
    state: &WebState,
    viewer: &Viewer,
    error: Option<String>,
    secret: Option<String>,
) -> Result<Response, Response> {
    let services = state.services();
    let t = viewer.t();
    let admin = viewer.principal.role().allows(cirtkit_domain::Permission::ManageUsers);
    let own = viewer.principal.user().map(|u| u.name.clone());
    let tokens = services.tokens(&viewer.principal, if admin { None } else { own.as_ref() }).await.or_page(viewer)?;
    let users = if admin {
        services.users(&viewer.principal).await.or_page(viewer)?.into_iter().map(|u| u.name.to_string()).collect()
    } else {
        own.iter().map(ToString::to_string).collect()
    };
    let tokens = tokens
        .into_iter()
        .map(|tok| TokenRow {
            created: when(tok.created_at),
            last_used: tok.last_used_at.map_or_else(|| t.get("never"), when),
            t: tok,
        })
        .collect();
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render_with(
        status,
        &TokensPage { c: Chrome::new(viewer, "admin", t.get("admin-tokens")), tokens, users, error, secret, admin },
    ))
}

/// `GET /admin/tokens`.
pub(crate) async fn tokens(State(state): State<WebState>, viewer: Viewer) -> Result<Response, Response> {
    tokens_page(&state, &viewer, None, None).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct NewTokenForm {
    csrf: String,
    user: String,
    name: String,
}

/// `POST /admin/tokens`: the secret is shown once.
pub(crate) async fn create_token(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<NewTokenForm>,
) -> Result<Response, Response> {
    viewer.check_csrf(&form.csrf)?;
    let result = async {
        let user: UserName = form.user.parse()?;
        state.services().create_token(&viewer.principal, &user, form.name.trim()).await
    }
    .await;
    match result {
        Ok((_, secret)) => tokens_page(&state, &viewer, None, Some(secret.0)).await,
        Err(e) if e.is_caller_error() && !matches!(e, ServiceError::Forbidden(_)) => {
            tokens_page(&state, &viewer, Some(e.to_string()), None).await
        }
        Err(e) => Err(error_page(&viewer, &e)),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct CsrfOnly {
    csrf: String,
}

/// `POST /admin/tokens/{id}/revoke`.
pub(crate) async fn revoke_token(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, Response> {
    viewer.check_csrf(&form.csrf)?;
    state.services().revoke_token(&viewer.principal, TokenId(id)).await.or_page(&viewer)?;
    Ok(see_other("/admin/tokens"))
}
