//! `/api/v1/incidents/{incident}/attachments`: the files kept with an incident (those of the mail
//! filed into it), listed and downloaded under the incident's own rules: who may not see the
//! incident gets 404 for its files too.
//!
//! A download is always an attachment (`Content-Disposition: attachment`), never shown in place:
//! the files come from strangers' mail, and a page or a script among them must not run in the
//! server's origin. `nosniff` and a sandboxing Content-Security-Policy back that up.

use super::{Caller, ParseField, time};
use crate::{ApiError, WebState};
use axum::{
    Json,
    body::Body,
    extract::{Path, State},
    http::{HeaderValue, header},
    response::Response,
};
use cirtkit_domain::AttachmentId;
use cirtkit_service::storage::AttachmentRecord;
use serde::Serialize;
use utoipa::ToSchema;

/// A file kept with an incident (its content is downloaded separately).
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentOut {
    pub id: i64,
    /// The journal entry describing the file, under the mail it came with.
    pub journal_entry: i64,
    /// The name it came with, without directories.
    pub filename: String,
    /// The type its sender declared, such as `text/csv`.
    pub content_type: String,
    /// Its size in bytes.
    pub size: i64,
    /// The SHA-256 of its content, in lower-case hex.
    pub sha256: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<AttachmentRecord> for AttachmentOut {
    fn from(a: AttachmentRecord) -> AttachmentOut {
        AttachmentOut {
            id: a.id.0,
            journal_entry: a.journal_entry.0,
            filename: a.filename,
            content_type: a.content_type,
            size: a.size,
            sha256: a.sha256,
            created_at: time(a.created_at),
        }
    }
}

/// An incident's files, oldest first (metadata only).
#[utoipa::path(operation_id = "list_attachments", get, path = "/api/v1/incidents/{incident}/attachments", tag = "incidents",
    params(("incident" = String, Path, description = "Id or reference")),
    responses((status = 200, body = Vec<AttachmentOut>), (status = 404, description = "No such incident, or not visible to the caller")),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<WebState>,
    Caller(caller): Caller,
    Path(key): Path<String>,
) -> Result<Json<Vec<AttachmentOut>>, ApiError> {
    let incident = state.services().incident_by_key(&caller, &key).await?;
    let files = state.services().attachments(&caller, incident.id).await?;
    Ok(Json(files.into_iter().map(AttachmentOut::from).collect()))
}

/// Download one file of an incident, as it arrived. It comes with its declared type, as an
/// attachment (never shown in place), with its SHA-256 in `x-content-sha256`.
#[utoipa::path(operation_id = "download_attachment", get, path = "/api/v1/incidents/{incident}/attachments/{id}", tag = "incidents",
    params(("incident" = String, Path, description = "Id or reference"), ("id" = i64, Path, description = "The file's id, from the list")),
    responses((status = 200, description = "The file's content", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 404, description = "No such file in this incident, or the incident is not visible to the caller"),
        (status = 422, description = "The id is not a number")),
    security(("bearer" = [])))]
pub async fn download(
    State(state): State<WebState>,
    Caller(caller): Caller,
    Path((key, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = AttachmentId(id.trim().parse::<i64>().field("id")?);
    let incident = state.services().incident_by_key(&caller, &key).await?;
    let (file, content) = state.services().attachment(&caller, incident.id, id).await?;
    Ok(file_response(&file, content))
}

/// A file as a download (the API's and the web interface's): its declared type when plain, as
/// an attachment with a safe name, sandboxed, never cached, with its SHA-256.
pub(crate) fn file_response(file: &AttachmentRecord, content: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(content));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type(&file.content_type));
    headers.insert(header::CONTENT_DISPOSITION, content_disposition(&file.filename));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    if let Ok(sha256) = HeaderValue::from_str(&file.sha256) {
        headers.insert("x-content-sha256", sha256);
    }
    response
}

/// The declared type when it is a plain `type/subtype` (parameters dropped), else
/// `application/octet-stream`: a sender's header is not echoed as it came.
fn content_type(declared: &str) -> HeaderValue {
    let token = |s: &str| {
        !s.is_empty() && s.len() <= 127 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    let essence = declared.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    match essence.split_once('/') {
        Some((kind, sub)) if token(kind) && token(sub) => HeaderValue::from_str(&essence).ok(),
        _ => None,
    }
    .unwrap_or_else(|| HeaderValue::from_static("application/octet-stream"))
}

/// `attachment` with the file's name twice (RFC 6266): `filename` in plain ASCII (anything else
/// becomes `_`), and `filename*` with the exact UTF-8 name, percent-encoded.
fn content_disposition(name: &str) -> HeaderValue {
    let plain: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || " ._-()+,@".contains(c) { c } else { '_' })
        .collect::<String>()
        .trim()
        .to_owned();
    let plain = if plain.trim_matches(['.', '_', ' ']).is_empty() { "attachment".to_owned() } else { plain };
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    HeaderValue::from_str(&format!("attachment; filename=\"{plain}\"; filename*=UTF-8''{encoded}"))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_name_cannot_break_out_of_the_header() {
        let h = content_disposition("report \"final\".csv");
        assert_eq!(h, "attachment; filename=\"report _final_.csv\"; filename*=UTF-8''report%20%22final%22.csv");
        let h = content_disposition("a\r\nSet-Cookie: x=1");
        assert!(!h.to_str().unwrap().contains('\r') && !h.to_str().unwrap().contains('\n'));
        assert_eq!(
            content_disposition("تقرير.pdf").to_str().unwrap().split("; ").nth(1),
            Some("filename=\"_____.pdf\"")
        );
        assert!(
            content_disposition("تقرير.pdf").to_str().unwrap().ends_with("UTF-8''%D8%AA%D9%82%D8%B1%D9%8A%D8%B1.pdf")
        );
        assert_eq!(content_disposition("..").to_str().unwrap().split("; ").nth(1), Some("filename=\"attachment\""));
    }

    #[test]
    fn only_a_plain_media_type_is_echoed() {
        assert_eq!(content_type("text/csv; charset=utf-8"), "text/csv");
        assert_eq!(content_type("Image/PNG"), "image/png");
        assert_eq!(content_type("application/vnd.ms-excel"), "application/vnd.ms-excel");
        for bad in ["", "text", "text/html\r\nx: y", "a b/c", "text/"] {
            assert_eq!(content_type(bad), "application/octet-stream", "{bad:?}");
        }
    }
}
