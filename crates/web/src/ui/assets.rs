//! The stylesheet and the script, compiled in. Their URLs carry a hash of their content, so
//! that browsers may keep them for a year and still get a new version at once.

use axum::{
    extract::Path,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

const CSS: &str = include_str!("../../assets/app.css");
const JS: &str = include_str!("../../assets/app.js");

fn versioned(stem: &str, ext: &str, content: &str) -> String {
    let hash = hex::encode(&Sha256::digest(content.as_bytes())[..6]);
    format!("/assets/{stem}.{hash}.{ext}")
}

static CSS_PATH: LazyLock<String> = LazyLock::new(|| versioned("app", "css", CSS));
static JS_PATH: LazyLock<String> = LazyLock::new(|| versioned("app", "js", JS));

pub(crate) fn css_path() -> &'static str {
    CSS_PATH.as_str()
}

pub(crate) fn js_path() -> &'static str {
    JS_PATH.as_str()
}

/// `GET /assets/{name}`.
pub(crate) async fn serve(Path(name): Path<String>) -> Response {
    let path = format!("/assets/{name}");
    let (content, kind) = if path == css_path() {
        (CSS, "text/css; charset=utf-8")
    } else if path == js_path() {
        (JS, "text/javascript; charset=utf-8")
    } else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "public, max-age=31536000, immutable")], content)
        .into_response()
}
