//! Unpacking what feeds arrive in: gzip streams, zip archives and e-mail messages (their
//! attachments), nested up to a depth, each member parsed under its own name. Every byte
//! produced counts against [`Limits::max_unpacked`], and a zip member may not inflate more than
//! [`Limits::max_ratio`] times, so a bomb is refused early with a clear reason.

use crate::error::{LimitExceeded, PipelineError};
#[cfg(test)]
use crate::parse::Limits;
use crate::parse::{ParseContext, Parser, Sink};
use std::io::{self, BufRead, BufReader, Cursor, Read};

/// Parses `input` with `parser`, unpacking gzip, zip and mail first. `ctx.file_name` names the
/// input; members are parsed with their own names. A member that fails is quarantined and the
/// others go on; a plain file that fails returns the error.
pub fn ingest(
    parser: &dyn Parser,
    input: &mut dyn Read,
    ctx: &ParseContext,
    sink: &mut dyn Sink,
) -> Result<(), PipelineError> {
    let mut budget = ctx.limits.max_unpacked;
    let mut reader = BufReader::with_capacity(64 * 1024, input);
    unpack(parser, &mut reader, ctx, sink, 0, &mut budget)
}

enum Container {
    Gzip,
    Zip,
    Mail,
    Plain,
}

fn sniff(head: &[u8], name: Option<&str>, parser: &dyn Parser) -> Container {
    if head.starts_with(&[0x1f, 0x8b]) {
        return Container::Gzip;
    }
    if head.starts_with(b"PK\x03\x04") {
        return Container::Zip;
    }
    if !parser.reads_mail() && looks_like_mail(head, name) {
        return Container::Mail;
    }
    Container::Plain
}

fn looks_like_mail(head: &[u8], name: Option<&str>) -> bool {
    if name.is_some_and(|n| n.to_ascii_lowercase().ends_with(".eml")) {
        return true;
    }
    ["Return-Path:", "Received:", "From:", "Delivered-To:", "Message-ID:", "MIME-Version:", "X-Original-To:"]
        .iter()
        .any(|h| head.get(..h.len()).is_some_and(|p| p.eq_ignore_ascii_case(h.as_bytes())))
}

fn unpack(
    parser: &dyn Parser,
    input: &mut dyn BufRead,
    ctx: &ParseContext,
    sink: &mut dyn Sink,
    depth: usize,
    budget: &mut u64,
) -> Result<(), PipelineError> {
    let head = input.fill_buf().map_err(|e| PipelineError::from_io(&e))?.to_vec();
    let kind = sniff(&head, ctx.file_name.as_deref(), parser);
    if !matches!(kind, Container::Plain) && depth >= ctx.limits.max_depth {
        return Err(PipelineError::Archive {
            reason: format!("containers nest more than {} deep", ctx.limits.max_depth),
        });
    }
    match kind {
        Container::Plain => parser.parse(input, ctx, sink),
        Container::Gzip => {
            let name = ctx.file_name.as_deref().map(|n| n.strip_suffix(".gz").unwrap_or(n).to_owned());
            let limit = *budget;
            let mut bounded = Budget { inner: flate2::bufread::MultiGzDecoder::new(input), left: limit, limit };
            let mut buffered = BufReader::with_capacity(64 * 1024, &mut bounded);
            let member_ctx = ParseContext { file_name: name, ..ctx.clone() };
            let r = unpack(parser, &mut buffered, &member_ctx, sink, depth + 1, budget);
            drop(buffered);
            *budget = bounded.left;
            r
        }
        Container::Zip => {
            let bytes = read_bounded(input, ctx.limits.max_container, "a zip archive")?;
            let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
                .map_err(|e| PipelineError::Archive { reason: format!("the zip archive is unreadable: {e}") })?;
            for i in 0..archive.len() {
                let mut file = archive
                    .by_index(i)
                    .map_err(|e| PipelineError::Archive { reason: format!("zip member {i} is unreadable: {e}") })?;
                if file.is_dir() {
                    continue;
                }
                let name = file.name().map(|n| n.into_owned()).unwrap_or_else(|_| format!("member-{}", i + 1));
                let ratio_cap = file.compressed_size().saturating_mul(ctx.limits.max_ratio).max(1 << 20);
                let limit = (*budget).min(ratio_cap);
                if file.size() > limit {
                    let e = PipelineError::TooLarge { what: "a zip member (unpacked)", limit };
                    sink.quarantine(ParseContext { file_name: Some(name), ..ctx.clone() }.quarantine(0, &e, b""));
                    continue;
                }
                let mut bounded = Budget { inner: &mut file, left: limit, limit };
                let mut buffered = BufReader::with_capacity(64 * 1024, &mut bounded);
                let member_ctx = ParseContext { file_name: Some(name), ..ctx.clone() };
                let r = unpack(parser, &mut buffered, &member_ctx, sink, depth + 1, budget);
                drop(buffered);
                *budget -= limit - bounded.left;
                if let Err(e) = r {
                    sink.quarantine(member_ctx.quarantine(0, &e, b""));
                }
            }
            Ok(())
        }
        Container::Mail => {
            let bytes = read_bounded(input, ctx.limits.max_container, "an e-mail message")?;
            let message = mail_parser::MessageParser::default()
                .parse(&bytes)
                .ok_or_else(|| PipelineError::Archive { reason: "the e-mail message is unreadable".into() })?;
            let mut found = false;
            for (n, part) in message.attachments().enumerate() {
                use mail_parser::MimeHeaders;
                let ctype = part
                    .content_type()
                    .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")).to_ascii_lowercase());
                if ctype.as_deref().is_some_and(|c| c.contains("pgp-signature") || c.contains("pkcs7-signature")) {
                    continue;
                }
                found = true;
                let name = part.attachment_name().map_or_else(|| format!("attachment-{}", n + 1), str::to_owned);
                let body = part.contents();
                let member_len = body.len() as u64;
                if member_len > *budget {
                    return Err(PipelineError::TooLarge { what: "the unpacked input", limit: ctx.limits.max_unpacked });
                }
                *budget -= member_len;
                let member_ctx = ParseContext { file_name: Some(name), ..ctx.clone() };
                if let Err(e) = unpack(parser, &mut Cursor::new(body), &member_ctx, sink, depth + 1, budget) {
                    sink.quarantine(member_ctx.quarantine(0, &e, b""));
                }
            }
            if !found {
                return Err(PipelineError::Archive { reason: "the e-mail message has no attachment to parse".into() });
            }
            Ok(())
        }
    }
}

fn read_bounded(input: &mut dyn BufRead, max: usize, what: &'static str) -> Result<Vec<u8>, PipelineError> {
    let mut bytes = Vec::new();
    input.take(max as u64 + 1).read_to_end(&mut bytes).map_err(|e| PipelineError::from_io(&e))?;
    if bytes.len() > max {
        return Err(PipelineError::TooLarge { what, limit: max as u64 });
    }
    Ok(bytes)
}

/// A reader that fails once it has produced more than its budget.
struct Budget<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R: Read> Read for Budget<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                LimitExceeded { what: "the unpacked input", limit: self.limit },
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Limits small enough for tests of hostile input.
#[cfg(test)]
pub(crate) fn tiny_limits() -> Limits {
    Limits { max_line: 64, max_document: 1024, max_unpacked: 4096, max_ratio: 10, max_container: 4096, max_depth: 2 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Collected;
    use std::io::Write;

    fn ctx(name: &str) -> ParseContext {
        ParseContext::with_feed(crate::FeedMeta::default(), chrono::DateTime::UNIX_EPOCH).with_file_name(name)
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn gzip_is_unpacked_and_bombs_are_refused() {
        let parser = crate::parser_for("openphish", &serde_json::Value::Null).unwrap();
        let mut out = Collected::default();
        let packed = gzip(b"http://example.com/a\nhttp://example.com/b\n");
        ingest(&*parser, &mut &packed[..], &ctx("feed.txt.gz"), &mut out).unwrap();
        assert_eq!(out.events.len(), 2);

        let bomb = gzip(&vec![b'a'; 1 << 20]);
        let mut c = ctx("bomb.gz");
        c.limits = tiny_limits();
        c.limits.max_line = 1 << 21;
        let err = ingest(&*parser, &mut &bomb[..], &c, &mut Collected::default()).unwrap_err();
        assert_eq!(err.code(), "pipeline.too_large", "{err}");
    }

    #[test]
    fn nested_containers_stop_at_the_depth_limit() {
        let parser = crate::parser_for("openphish", &serde_json::Value::Null).unwrap();
        let nested = gzip(&gzip(&gzip(b"http://example.com/\n")));
        let mut c = ctx("x.gz");
        c.limits.max_depth = 2;
        let err = ingest(&*parser, &mut &nested[..], &c, &mut Collected::default()).unwrap_err();
        assert_eq!(err.code(), "pipeline.archive");
    }
}
