//! Signing in (password, then a code when the user has a second factor) and signing out.

use super::{Chrome, Visitor, local_path, render_with, see_other, session};
use crate::WebState;
use axum::{
    Form,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use cirtkit_service::{LoginStep, NewSession, ServiceError};
use serde::Deserialize;

#[derive(askama::Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    next: String,
    name: String,
    error: Option<String>,
    /// Set on the second step: the ticket of the password step.
    ticket: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

/// `GET /login`.
pub(crate) async fn login_page(visitor: Visitor, Query(q): Query<NextQuery>) -> Response {
    let next = local_path(q.next.as_deref().unwrap_or("/dashboard")).to_owned();
    if visitor.session.is_some() {
        return see_other(&next);
    }
    let t = super::Tr::new(visitor.lang);
    let page = LoginPage {
        c: Chrome::public(&visitor, t.get("login-title")),
        next,
        name: String::new(),
        error: None,
        ticket: None,
    };
    render_with(StatusCode::OK, &page)
}

#[derive(Debug, Deserialize)]
pub(crate) struct LoginForm {
    name: String,
    password: String,
    #[serde(default)]
    next: String,
}

fn signed_in(state: &WebState, session: NewSession, next: &str) -> Response {
    let mut response = see_other(local_path(next));
    response.headers_mut().insert(header::SET_COOKIE, session::session_cookie(state, &session.secret));
    response
}

fn refused(visitor: &Visitor, error: &ServiceError, name: String, next: String, ticket: Option<String>) -> Response {
    let t = super::Tr::new(visitor.lang);
    let (status, message) = match error {
        ServiceError::Unauthenticated(m) if m.starts_with("too many") => {
            (StatusCode::TOO_MANY_REQUESTS, t.get("login-throttled"))
        }
        ServiceError::Unauthenticated(m) if m.starts_with("the sign-in took") => {
            (StatusCode::UNAUTHORIZED, t.get("login-expired"))
        }
        ServiceError::Unauthenticated(_) if ticket.is_some() => (StatusCode::UNAUTHORIZED, t.get("login-bad-code")),
        ServiceError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, t.get("login-failed")),
        other => {
            tracing::error!(error = %other, "sign-in failed");
            (StatusCode::INTERNAL_SERVER_ERROR, t.get("error-internal"))
        }
    };
    let page = LoginPage { c: Chrome::public(visitor, t.get("login-title")), next, name, error: Some(message), ticket };
    render_with(status, &page)
}

/// `POST /login`.
pub(crate) async fn login(State(state): State<WebState>, visitor: Visitor, Form(form): Form<LoginForm>) -> Response {
    match state.services().login(&form.name, &form.password, &visitor.address).await {
        Ok(LoginStep::Signed(session)) => signed_in(&state, session, &form.next),
        Ok(LoginStep::SecondFactor { ticket }) => {
            let t = super::Tr::new(visitor.lang);
            let page = LoginPage {
                c: Chrome::public(&visitor, t.get("login-title")),
                next: form.next,
                name: form.name,
                error: None,
                ticket: Some(ticket),
            };
            render_with(StatusCode::OK, &page)
        }
        Err(e) => refused(&visitor, &e, form.name, form.next, None),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct CodeForm {
    ticket: String,
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    next: String,
}

/// `POST /login/code`: the second step.
pub(crate) async fn second_factor(
    State(state): State<WebState>,
    visitor: Visitor,
    Form(form): Form<CodeForm>,
) -> Response {
    match state.services().login_second_factor(&form.ticket, &form.code, &visitor.address).await {
        Ok(session) => signed_in(&state, session, &form.next),
        Err(e) => {
            let ticket = match &e {
                ServiceError::Unauthenticated(m) if m.starts_with("the sign-in took") => None,
                _ => Some(form.ticket),
            };
            refused(&visitor, &e, form.name, form.next, ticket)
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /logout`.
pub(crate) async fn logout(
    State(state): State<WebState>,
    headers: HeaderMap,
    visitor: Visitor,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let (Some(session), Some(secret)) =
        (&visitor.session, session::cookie(&headers, session::session_cookie_name(&state)))
    {
        if session.csrf_token != form.csrf {
            return (StatusCode::FORBIDDEN, "the form has expired: reload the page").into_response();
        }
        if let Err(error) = state.services().logout(secret).await {
            tracing::error!(%error, "sign-out failed");
        }
    }
    let mut response = see_other("/login");
    response.headers_mut().insert(header::SET_COOKIE, session::cleared_session_cookie(&state));
    response
}
