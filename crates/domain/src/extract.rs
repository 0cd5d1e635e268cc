//! Observables found in free text (a citizen's mail, a pasted log): every token that reads as
//! an observable, defanged or not, in canonical form, once, in the order first seen.
//!
//! The text is split on whitespace and on characters that no observable holds, and each token
//! is read with [`Observable::parse`]. What would be too generic to act on is left out: bare
//! numbers (refused by the parser anyway), names whose last label is not alphabetic or is a
//! common file extension (`report.txt`, `index.php`), single-letter top-level labels (`e.g`).
//! The work is bounded: at most [`MAX_SCAN_BYTES`] of text are read and at most
//! [`MAX_OBSERVABLES`] observables returned.

use crate::observable::{MAX_INPUT_BYTES, Observable};
use std::collections::HashSet;

/// How much of the text is scanned; the rest is ignored.
pub const MAX_SCAN_BYTES: usize = 1024 * 1024;

/// How many observables are returned at most.
pub const MAX_OBSERVABLES: usize = 1_000;

/// Endings that are file types far more often than top-level domains in reports.
const FILE_EXTENSIONS: &[&str] = &[
    "asc", "asp", "aspx", "bat", "bin", "cfg", "conf", "css", "csv", "dll", "doc", "docx", "eml", "exe", "gif", "gz",
    "htm", "html", "ini", "jpeg", "jpg", "js", "json", "jsp", "log", "md", "msg", "pdf", "php", "png", "ps1", "py",
    "rar", "sh", "tar", "tgz", "tmp", "txt", "xls", "xlsx", "xml", "yaml", "yml",
];

/// Characters that end a token: no observable (defanged forms included) holds them.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '`' | '|' | '\\' | '^' | ',' | ';' | '\u{0}')
}

/// Punctuation that often sticks to a token in prose (`see http://x.example/.`, `(192.0.2.1)`).
fn is_edge_punctuation(c: char) -> bool {
    matches!(c, '.' | ':' | '!' | '?' | '*' | '(' | ')' | '[' | ']' | '{' | '}' | '=')
}

/// Every observable in the text, canonical, deduplicated, in the order first seen.
pub fn extract_observables(text: &str) -> Vec<Observable> {
    let mut end = text.len().min(MAX_SCAN_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let text = &text[..end];
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    for token in text.split(is_separator) {
        if found.len() >= MAX_OBSERVABLES {
            break;
        }
        let Some(observable) = read_token(token) else { continue };
        if seen.insert(observable.clone()) {
            found.push(observable);
        }
    }
    found
}

/// The observable a token holds, trimmed of the punctuation prose puts around it.
fn read_token(token: &str) -> Option<Observable> {
    if token.len() < 4 || token.len() > MAX_INPUT_BYTES {
        return None;
    }
    let trimmed = trim_edges(token);
    if trimmed.len() < 4 || !trimmed.bytes().any(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    // Some character must make it more than a word: a dot, a colon, an at sign, a bracketed
    // defang, or the length of a hash.
    let shaped = trimmed.contains(['.', ':', '@', '['])
        || trimmed.contains("(.)")
        || trimmed.contains("{.}")
        || matches!(trimmed.len(), 32 | 40 | 64)
        || trimmed.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("as"));
    if !shaped {
        return None;
    }
    let observable = Observable::parse(trimmed).ok()?;
    if !is_specific(&observable) {
        return None;
    }
    // Only what reads back as itself: the canonical form is what gets stored and shown.
    (Observable::parse(&observable.value()).ok().as_ref() == Some(&observable)).then_some(observable)
}

/// Strips surrounding punctuation, keeping brackets that belong to the token (`[2001:db8::1]`,
/// `example[.]org`).
fn trim_edges(token: &str) -> &str {
    let mut t = token;
    loop {
        let before = t.len();
        for (open, close) in [('(', ')'), ('[', ']'), ('{', '}')] {
            if t.len() >= 2 && t.starts_with(open) && t.ends_with(close) {
                t = &t[1..t.len() - 1];
            }
        }
        if let Some(c) = t.chars().next_back()
            && is_edge_punctuation(c)
            && !(matches!(c, ')' | ']' | '}') && balanced(t))
        {
            t = &t[..t.len() - c.len_utf8()];
        }
        if let Some(c) = t.chars().next()
            && is_edge_punctuation(c)
            && !(matches!(c, '(' | '[' | '{') && balanced(t))
        {
            t = &t[c.len_utf8()..];
        }
        if t.len() == before {
            return t;
        }
    }
}

fn balanced(t: &str) -> bool {
    let count = |c: char| t.chars().filter(|x| *x == c).count();
    count('(') == count(')') && count('[') == count(']') && count('{') == count('}')
}

/// Whether the observable is worth keeping: AS numbers only when written as such (the parser
/// sees to that), domain names only with an alphabetic top-level label that is not a file type.
fn is_specific(observable: &Observable) -> bool {
    match observable {
        Observable::Domain(d) => plausible_tld(d.as_str()),
        Observable::Email(e) => plausible_tld(e.domain().as_str()),
        Observable::Filename(_) => false,
        _ => true,
    }
}

fn plausible_tld(name: &str) -> bool {
    let tld = name.rsplit('.').next().unwrap_or_default();
    let alphabetic = tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic());
    (alphabetic || tld.starts_with("xn--")) && !FILE_EXTENSIONS.contains(&tld)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use proptest::prelude::*;

    fn values(text: &str) -> Vec<String> {
        extract_observables(text).iter().map(Observable::value).collect()
    }

    #[test]
    fn finds_defanged_and_plain_observables_in_prose() {
        let text = "Hello, I got a mail asking me to log in at hxxps://secure-login[.]bank-example[.]com/verify?id=3 \
                    (it came from 198.51.100[.]7, sender phisher[@]evil-mail[.]example). \
                    Also see http://www.example.org/page. The file report.txt, version 1.2.3, e.g. 42 times, \
                    hash 44d88612fea8a8f36de82e1278abb02f and AS64500.";
        assert_eq!(
            values(text),
            [
                "https://secure-login.bank-example.com/verify?id=3",
                "198.51.100.7",
                "phisher@evil-mail.example",
                "http://www.example.org/page",
                "44d88612fea8a8f36de82e1278abb02f",
                "AS64500",
            ]
        );
    }

    #[test]
    fn keeps_order_and_drops_duplicates() {
        assert_eq!(
            values("b.example.org a.example.org B.EXAMPLE.ORG b.example[.]org"),
            ["b.example.org", "a.example.org"]
        );
    }

    #[test]
    fn brackets_that_belong_to_the_token_stay() {
        assert_eq!(
            values("[2001:db8::1] and *10.0.2.150* and (attacker.example.net)"),
            ["2001:db8::1", "10.0.2.150", "attacker.example.net"]
        );
    }

    #[test]
    fn work_is_bounded() {
        let text: String = (0..5_000).map(|i| format!("192.0.{}.{} ", i / 256, i % 256)).collect();
        assert_eq!(extract_observables(&text).len(), MAX_OBSERVABLES);
        let huge = "x".repeat(MAX_SCAN_BYTES) + " 192.0.2.1";
        assert!(extract_observables(&huge).is_empty());
    }

    proptest! {
        #[test]
        fn never_panics_and_results_read_back(text in "\\PC{0,300}") {
            for o in extract_observables(&text) {
                prop_assert_eq!(Observable::parse(&o.value()).ok(), Some(o.clone()));
            }
        }

        #[test]
        fn mixed_observable_soup_reads_back(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("hxxp://a[.]example/x".to_owned()),
                    Just("192.0.2[.]1".to_owned()),
                    Just("[".to_owned()),
                    Just("(".to_owned()),
                    Just(")".to_owned()),
                    Just("x@y[.]org".to_owned()),
                    Just(".".to_owned()),
                    "[a-z0-9.:/\\[\\]@-]{0,20}",
                ],
                0..30,
            )
        ) {
            let text = parts.concat();
            for o in extract_observables(&text) {
                prop_assert_eq!(Observable::parse(&o.value()).ok(), Some(o.clone()));
            }
        }
    }
}
