//! Request ids: every request gets one, so that a caller quoting `x-request-id` from an answer
//! leads to the matching log lines. A caller's (or proxy's) own id is kept when it is sane.

use axum::{
    extract::Request,
    http::{HeaderName, HeaderValue},
};
use std::{
    hash::{BuildHasher, RandomState},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};
use tower_http::request_id::{MakeRequestId, RequestId};

pub(crate) const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest id taken from a request: long enough for a UUID or a proxy's trace id.
const MAX_LEN: usize = 64;

/// Whether an id from outside may go into our logs and answers as it is: short, and no
/// characters that could forge log lines or headers.
pub(crate) fn is_sane(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_LEN
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Drops an incoming id that is not sane (or is given twice), because `SetRequestId` keeps
/// whatever is there and only makes one when the header is absent.
pub(crate) fn drop_unusable(mut request: Request) -> Request {
    let mut values = request.headers().get_all(&X_REQUEST_ID).iter();
    let usable = matches!((values.next(), values.next()), (Some(v), None) if is_sane(v));
    if !usable {
        request.headers_mut().remove(&X_REQUEST_ID);
    }
    request
}

/// Makes ids that are unique within the process (a counter) and across processes and restarts
/// (a random prefix), without a clock or a random-number crate. They need to be unique, not secret.
#[derive(Debug, Clone)]
pub(crate) struct MakeUniqueRequestId {
    /// Shared by the clones that `Router::layer` makes for each route.
    next: Arc<AtomicU64>,
    prefix: u64,
    key: u64,
}

impl MakeUniqueRequestId {
    pub(crate) fn new() -> Self {
        // Each `RandomState` is seeded from the operating system's randomness.
        let random = |salt: u64| RandomState::new().hash_one((salt, std::process::id()));
        MakeUniqueRequestId { next: Arc::new(AtomicU64::new(0)), prefix: random(1), key: random(2) }
    }

    fn next_id(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!("{:016x}{:016x}", self.prefix, scramble(n ^ self.key))
    }
}

/// The splitmix64 finaliser: a bijection on `u64`, so distinct counters stay distinct ids, while
/// consecutive requests do not get consecutive-looking ids.
fn scramble(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl MakeRequestId for MakeUniqueRequestId {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        HeaderValue::try_from(self.next_id()).ok().map(RequestId::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        WebState,
        fixture::{self, call, get, services},
        router,
    };
    use axum::{body::Body, http::StatusCode};
    use std::collections::HashSet;

    fn with_id(id: &str) -> axum::http::Request<Body> {
        axum::http::Request::builder().uri("/healthz").header("x-request-id", id).body(Body::empty()).unwrap()
    }

    #[tokio::test]
    async fn a_sane_id_from_the_caller_is_echoed() {
        let dir = tempfile::tempdir().unwrap();
        let app = router(WebState::new(services(dir.path()).await, fixture::build()));
        let answer = call(&app, with_id("req-42.abc_DEF")).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.headers["x-request-id"], "req-42.abc_DEF");
    }

    #[tokio::test]
    async fn an_id_is_made_when_absent_or_unusable() {
        let dir = tempfile::tempdir().unwrap();
        let app = router(WebState::new(services(dir.path()).await, fixture::build()));
        let too_long = "a".repeat(65);
        let mut seen = HashSet::new();
        for request in [get("/healthz"), get("/nowhere"), with_id("two words"), with_id(&too_long), with_id("")] {
            let answer = call(&app, request).await;
            let id = answer.headers["x-request-id"].to_str().unwrap().to_owned();
            assert_eq!(id.len(), 32, "{id}");
            assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
            assert!(seen.insert(id), "ids are unique");
        }
    }

    #[test]
    fn sanity_is_length_and_alphabet() {
        assert!(is_sane(&HeaderValue::from_static("0123456789abcdef-ABC.x_y")));
        assert!(is_sane(&HeaderValue::from_str(&"a".repeat(64)).unwrap()));
        assert!(!is_sane(&HeaderValue::from_str(&"a".repeat(65)).unwrap()));
        assert!(!is_sane(&HeaderValue::from_static("")));
        assert!(!is_sane(&HeaderValue::from_static("a b")));
        assert!(!is_sane(&HeaderValue::from_static("a\"b")));
    }

    #[test]
    fn a_repeated_header_is_dropped() {
        let request = axum::http::Request::builder()
            .header("x-request-id", "one")
            .header("x-request-id", "two")
            .body(Body::empty())
            .unwrap();
        assert!(drop_unusable(request).headers().get(X_REQUEST_ID).is_none());
    }

    #[test]
    fn made_ids_do_not_repeat() {
        let make = MakeUniqueRequestId::new();
        let ids: HashSet<String> = (0..10_000).map(|_| make.next_id()).collect();
        assert_eq!(ids.len(), 10_000);
    }
}
