//! What the abuse-report mail parsers (ARF, X-ARF) share: reading one message under the
//! container limit, its parts with their content types, and `Name: value` blocks.

use crate::PipelineError;
use crate::parse::Limits;
use mail_parser::{MessageParser, MimeHeaders};
use std::io::{BufRead, Read};

/// The whole input, at most [`Limits::max_container`] bytes.
pub(crate) fn read_all(input: &mut dyn BufRead, limits: &Limits, what: &'static str) -> Result<Vec<u8>, PipelineError> {
    let mut bytes = Vec::new();
    input.take(limits.max_container as u64 + 1).read_to_end(&mut bytes).map_err(|e| PipelineError::from_io(&e))?;
    if bytes.len() > limits.max_container {
        return Err(PipelineError::TooLarge { what, limit: limits.max_container as u64 });
    }
    Ok(bytes)
}

/// One MIME part: its content type (`type/subtype`, lower case) and its decoded body.
pub(crate) struct Part {
    pub content_type: String,
    pub body: Vec<u8>,
}

/// Reads a message into its leaf parts, in order (nested `message/rfc822` parts are kept whole).
pub(crate) fn read_mail(bytes: &[u8]) -> Result<Vec<Part>, PipelineError> {
    let message = MessageParser::default()
        .parse(bytes)
        .ok_or_else(|| PipelineError::Unrecognised { reason: "the input is not an e-mail message".into() })?;
    let parts = message
        .parts
        .iter()
        .filter(|p| !matches!(p.body, mail_parser::PartType::Multipart(_)))
        .map(|p| Part {
            content_type: p
                .content_type()
                .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")).to_ascii_lowercase())
                .unwrap_or_else(|| "text/plain".into()),
            body: p.contents().to_vec(),
        })
        .collect();
    Ok(parts)
}

/// `Name: value` lines (RFC 822 style, continuation lines start with a blank), names in lower
/// case. Lines that are not fields (a YAML `---`, blank lines, comments) are skipped.
pub(crate) fn fields(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = out.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        let Some((name, value)) = line.split_once(':') else { continue };
        let name = name.trim();
        if name.is_empty()
            || name.starts_with('#')
            || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            continue;
        }
        out.push((name.to_ascii_lowercase(), value.trim().trim_matches('"').to_owned()));
    }
    out
}

/// The first value of a field read by [`fields`].
pub(crate) fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_unfold_and_skip_what_is_not_a_field() {
        let f =
            fields("---\nSource: 192.0.2.1\nReported-Domain: a.example\n  b.example\n\n# comment: x\nDate: \"2014\"\n");
        assert_eq!(field(&f, "source"), Some("192.0.2.1"));
        assert_eq!(field(&f, "reported-domain"), Some("a.example b.example"));
        assert_eq!(field(&f, "date"), Some("2014"));
        assert_eq!(f.len(), 3);
    }
}
