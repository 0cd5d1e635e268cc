//! A user's own settings: password, language, and the second factor (enrolled from a QR code
//! drawn as inline SVG).

use super::{Chrome, OrPage, Viewer, error_page, i18n::Lang, local_path, render_with, see_other, session, svg};
use crate::WebState;
use axum::{
    Form,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::Response,
};
use cirtkit_service::{ServiceError, TotpEnrolment, UserChanges};
use serde::Deserialize;

#[derive(askama::Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    c: Chrome,
    has_totp: bool,
    enrolment: Option<(TotpEnrolment, String)>,
    error: Option<String>,
    notice: Option<String>,
}

async fn settings_page(
    state: &WebState,
    viewer: &Viewer,
    enrolment: Option<TotpEnrolment>,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, Response> {
    let t = viewer.t();
    let has_totp = match viewer.principal.user() {
        Some(u) => state.services().has_second_factor(u).await.or_page(viewer)?,
        None => false,
    };
    let enrolment = enrolment.map(|e| {
        let qr = svg::qr_code(&e.uri).unwrap_or_default();
        (e, qr)
    });
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page =
        SettingsPage { c: Chrome::new(viewer, "settings", t.get("nav-settings")), has_totp, enrolment, error, notice };
    Ok(render_with(status, &page))
}

/// `GET /settings`.
pub(crate) async fn page(State(state): State<WebState>, viewer: Viewer) -> Result<Response, Response> {
    settings_page(&state, &viewer, None, None, None).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
    repeat: String,
}

/// `POST /settings/password`: needs the current password; every session ends (sign in again).
pub(crate) async fn password(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<PasswordForm>,
) -> Result<Response, Response> {
    viewer.check_csrf(&form.csrf)?;
    let t = viewer.t();
    let Some(user) = viewer.principal.user().cloned() else { return Ok(see_other("/login")) };
    if form.new != form.repeat {
        return settings_page(&state, &viewer, None, Some(t.get("password-mismatch")), None).await;
    }
    if state.services().authenticate_password(user.name.as_str(), &form.current).await.is_err() {
        return settings_page(&state, &viewer, None, Some(t.get("password-wrong")), None).await;
    }
    match state.services().set_password(&viewer.principal, &user.name, &form.new).await {
        Ok(()) => {
            let mut response = see_other("/login");
            response.headers_mut().insert(header::SET_COOKIE, session::cleared_session_cookie(&state));
            Ok(response)
        }
        Err(e @ ServiceError::Invalid(_)) => settings_page(&state, &viewer, None, Some(e.to_string()), None).await,
        Err(e) => Err(error_page(&viewer, &e)),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct LanguageForm {
    #[serde(default)]
    csrf: String,
    lang: String,
    #[serde(default)]
    next: String,
}

/// `POST /language`: for a signed-in user, their setting; for anyone, a cookie.
pub(crate) async fn language(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<LanguageForm>,
) -> Response {
    let Some(lang) = Lang::from_code(&form.lang) else {
        return (StatusCode::UNPROCESSABLE_ENTITY, "unknown language").into_response_plain();
    };
    if let Some(secret) = session::cookie(&headers, session::session_cookie_name(&state))
        && let Ok(session) = state.services().session(secret).await
        && session.csrf_token == form.csrf
        && let Some(user) = session.principal.user()
        && let Ok(language) = lang.code().parse()
    {
        let changes = UserChanges { language: Some(language), ..UserChanges::default() };
        if let Err(error) = state.services().update_user(&session.principal, &user.name, changes).await {
            tracing::warn!(%error, "language not saved");
        }
    }
    let mut response = see_other(local_path(&form.next));
    response.headers_mut().insert(header::SET_COOKIE, session::lang_cookie(lang));
    response
}

trait PlainResponse {
    fn into_response_plain(self) -> Response;
}

impl PlainResponse for (StatusCode, &'static str) {
    fn into_response_plain(self) -> Response {
        axum::response::IntoResponse::into_response(self)
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    csrf: String,
}

/// `POST /settings/totp`: shows a new secret as a QR code, to confirm with a code.
pub(crate) async fn totp_start(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<CsrfForm>,
) -> Result<Response, Response> {
    viewer.check_csrf(&form.csrf)?;
    let enrolment = state.services().new_totp_enrolment(&viewer.principal).or_page(&viewer)?;
    settings_page(&state, &viewer, Some(enrolment), None, None).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct ConfirmForm {
    csrf: String,
    secret: String,
    uri: String,
    code: String,
}

/// `POST /settings/totp/confirm`.
pub(crate) async fn totp_confirm(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, Response> {
    viewer.check_csrf(&form.csrf)?;
    match state.services().enable_totp(&viewer.principal, &form.secret, &form.code).await {
        Ok(()) => settings_page(&state, &viewer, None, None, Some(viewer.t().get("totp-enabled"))).await,
        Err(e @ ServiceError::Invalid(_)) => {
            let enrolment = TotpEnrolment { secret: form.secret, uri: form.uri };
            settings_page(&state, &viewer, Some(enrolment), Some(e.to_string()), None).await
        }
        Err(e) => Err(error_page(&viewer, &e)),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct DisableForm {
    csrf: String,
    #[serde(default)]
    code: String,
}

/// `POST /settings/totp/disable`: with a current code.
pub(crate) async fn totp_disable(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<DisableForm>,
) -> Result<Response, Response> {
    viewer.check_csrf(&form.csrf)?;
    let Some(user) = viewer.principal.user().cloned() else { return Ok(see_other("/login")) };
    match state.services().disable_totp(&viewer.principal, &user.name, Some(&form.code)).await {
        Ok(()) => settings_page(&state, &viewer, None, None, Some(viewer.t().get("totp-disabled"))).await,
        Err(e @ ServiceError::Invalid(_)) => settings_page(&state, &viewer, None, Some(e.to_string()), None).await,
        Err(e) => Err(error_page(&viewer, &e)),
    }
}
