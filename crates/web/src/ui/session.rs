//! Who is looking at a page: the session cookie names a signed-in user (secure, HttpOnly,
//! SameSite=Lax), every form carries the session's CSRF token, and the page's language follows
//! the user, the language cookie or the browser. A request for a page without a session is sent
//! to the sign-in page, which brings the user back afterwards.

use super::i18n::{Lang, Tr};
use crate::WebState;
use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use cirtkit_service::{Principal, SESSION_MAX, SessionPrincipal};

/// The session cookie. The `__Host-` prefix makes browsers refuse it unless it is Secure, set
/// by this host for the whole site: no sub-domain can plant or read it.
pub const SESSION_COOKIE: &str = "__Host-cirtkit_session";
/// The session cookie when the server is configured for plain HTTP on a LAN
/// (`server.plain_http_sessions`): browsers refuse Secure cookies over plain HTTP except on
/// localhost, and the `__Host-` prefix requires Secure.
pub const PLAIN_SESSION_COOKIE: &str = "cirtkit_session";

/// The session cookie's name under this configuration.
pub fn session_cookie_name(state: &WebState) -> &'static str {
    if state.plain_http_sessions() { PLAIN_SESSION_COOKIE } else { SESSION_COOKIE }
}
/// The chosen language, for people who are not signed in.
pub const LANG_COOKIE: &str = "cirtkit_lang";

/// A cookie's value from the request's Cookie headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim())
}

/// The Set-Cookie header that opens a session.
pub fn session_cookie(state: &WebState, secret: &str) -> HeaderValue {
    cookie_header(state, secret, SESSION_MAX.num_seconds())
}

/// The Set-Cookie header that ends a session in the browser.
pub fn cleared_session_cookie(state: &WebState) -> HeaderValue {
    cookie_header(state, "", 0)
}

fn cookie_header(state: &WebState, value: &str, max_age: i64) -> HeaderValue {
    let name = session_cookie_name(state);
    let secure = if state.plain_http_sessions() { "" } else { " Secure;" };
    HeaderValue::from_str(&format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly;{secure} SameSite=Lax"))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub fn lang_cookie(lang: Lang) -> HeaderValue {
    HeaderValue::from_str(&format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", lang.code()))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The language for someone not signed in (or whose setting we do not speak).
fn visitor_lang(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .and_then(Lang::from_code)
        .or_else(|| {
            headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(Lang::from_accept_language)
        })
        .unwrap_or(Lang::En)
}

/// A signed-in person looking at a page.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub principal: Principal,
    pub csrf: String,
    pub lang: Lang,
    /// The path and query asked for, to come back to it.
    pub path: String,
}

impl Viewer {
    pub fn t(&self) -> Tr {
        Tr::new(self.lang)
    }

    /// Refuses a form whose CSRF token is not this session's (a page of another site posting
    /// here with the user's cookie).
    pub fn check_csrf(&self, token: &str) -> Result<(), Response> {
        if constant_time_eq(token.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err((StatusCode::FORBIDDEN, "the form has expired: go back, reload the page and send it again")
                .into_response())
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn path_and_query(parts: &Parts) -> String {
    parts.uri.path_and_query().map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned())
}

async fn session_of(parts: &Parts, state: &WebState) -> Option<SessionPrincipal> {
    let secret = cookie(&parts.headers, session_cookie_name(state))?;
    state.services().session(secret).await.ok()
}

fn lang_of(principal: &Principal, headers: &HeaderMap) -> Lang {
    principal.user().and_then(|u| Lang::from_code(u.language.as_str())).unwrap_or_else(|| visitor_lang(headers))
}

impl FromRequestParts<WebState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Viewer, Response> {
        let path = path_and_query(parts);
        match session_of(parts, state).await {
            Some(session) => {
                let lang = lang_of(&session.principal, &parts.headers);
                Ok(Viewer { principal: session.principal, csrf: session.csrf_token, lang, path })
            }
            None => {
                let next = if parts.method == axum::http::Method::GET { path } else { "/".to_owned() };
                let target = format!("/login?next={}", super::url_encode(&next));
                Err(Redirect::to(&target).into_response())
            }
        }
    }
}

/// Anyone looking at a public page (sign-in, the report form), signed in or not.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub session: Option<SessionPrincipal>,
    pub lang: Lang,
    pub path: String,
    /// The client's address, for throttling.
    pub address: String,
}

impl FromRequestParts<WebState> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Visitor, Response> {
        let session = session_of(parts, state).await;
        let lang = match &session {
            Some(s) => lang_of(&s.principal, &parts.headers),
            None => visitor_lang(&parts.headers),
        };
        let address = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string());
        Ok(Visitor { session, lang, path: path_and_query(parts), address })
    }
}

/// Refuses a cross-site form post before any handler runs: a POST whose Origin (or, lacking
/// it, Referer) names another host. Browsers send Origin on every form post.
pub async fn same_origin_posts(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if request.method() == axum::http::Method::POST && !request.uri().path().starts_with("/api/") {
        let headers = request.headers();
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        let origin = headers
            .get(header::ORIGIN)
            .or_else(|| headers.get(header::REFERER))
            .and_then(|v| v.to_str().ok())
            .filter(|o| *o != "null");
        if let (Some(host), Some(origin)) = (host, origin) {
            let origin_host = origin.split("://").nth(1).unwrap_or(origin).split('/').next().unwrap_or_default();
            if origin_host != host {
                return (StatusCode::FORBIDDEN, "cross-site form posts are refused").into_response();
            }
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1; __Host-cirtkit_session=abc ; b=2"));
        headers.append(header::COOKIE, HeaderValue::from_static("cirtkit_lang=ar"));
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, LANG_COOKIE), Some("ar"));
        assert_eq!(cookie(&headers, "c"), None);
        assert_eq!(visitor_lang(&headers), Lang::Ar);
    }

    #[tokio::test]
    async fn the_session_cookie_is_locked_down() {
        let dir = tempfile::tempdir().unwrap();
        let services = crate::fixture::services(dir.path()).await;
        let state = WebState::new(services.clone(), crate::fixture::build());
        let c = session_cookie(&state, "s3cret");
        let c = c.to_str().unwrap();
        for part in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/", "__Host-"] {
            assert!(c.contains(part), "{c} lacks {part}");
        }
        let lan = WebState::new(services, crate::fixture::build()).with_plain_http_sessions(true);
        let c = session_cookie(&lan, "s3cret");
        assert_eq!(c.to_str().unwrap(), "cirtkit_session=s3cret; Path=/; Max-Age=604800; HttpOnly; SameSite=Lax");
    }
}
