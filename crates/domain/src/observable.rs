//! Observables: the technical facts an incident is about (addresses, netblocks, names, URLs,
//! e-mail addresses, hashes, AS numbers, file names), read from what people paste, defanged or
//! not, into one canonical form that prints and reads back the same.
//!
//! Canonical forms:
//! - IP addresses in standard notation (IPv6 compressed and lower case; an IPv4-mapped IPv6
//!   address stays IPv6). Leading zeros in IPv4 are refused, since some tools read them as octal.
//! - A netblock is truncated to its network: `192.0.2.77/24` is `192.0.2.0/24`. Anything written
//!   with a prefix length is a netblock, also `192.0.2.1/32` and when auto-detected; a bare
//!   address given as a netblock (`parse_as(Cidr, "192.0.2.1")`) is its /32 or /128.
//! - URLs as the `url` crate serialises them (lower-case scheme and host, punycode, default port
//!   dropped, also 22 for sftp and 990 for ftps). Their host must be an IP address or a full
//!   domain name; a trailing dot on the host is dropped. The whole URL is refanged, its path too,
//!   since defangers often bracket every dot.
//! - E-mail addresses: only the `@` and the domain are refanged; the part before the `@` is kept
//!   as written, because characters such as `{.}` are legal there.
//! - Hashes in lower-case hex; AS numbers as `AS64500`.
//! - File names are trimmed and otherwise kept as written (never refanged: `[.]` may be part of a
//!   real name) and are never auto-detected.

use crate::ParseError;
use crate::names::{Asn, DomainName, EmailAddress};
use ipnet::IpNet;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::{fmt, str::FromStr};

/// The longest input read as an observable. Longer input is refused before any work is done,
/// and so is a value whose canonical form would be longer (URLs grow when percent-encoded).
pub const MAX_INPUT_BYTES: usize = 8 * 1024;

/// The longest file name, as on common file systems.
pub const MAX_FILENAME_BYTES: usize = 255;

/// The URL schemes an observable may have, once refanged.
const URL_SCHEMES: [&str; 7] = ["http", "https", "ftp", "ftps", "sftp", "ws", "wss"];

const ACCEPTED: &str = "give an IP address (192.0.2.1), a netblock (192.0.2.0/24), a URL \
(http, https, ftp, ftps, sftp, ws or wss), an e-mail address, a domain name (example.org), an \
MD5, SHA-1 or SHA-256 hash, or an AS number (AS64500); file names are accepted only with their \
kind given";

/// What an observable is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ObservableKind {
    Ipv4,
    Ipv6,
    Cidr,
    Domain,
    Url,
    Email,
    Md5,
    Sha1,
    Sha256,
    Asn,
    Filename,
}

impl ObservableKind {
    pub const ALL: [ObservableKind; 11] = [
        Self::Ipv4,
        Self::Ipv6,
        Self::Cidr,
        Self::Domain,
        Self::Url,
        Self::Email,
        Self::Md5,
        Self::Sha1,
        Self::Sha256,
        Self::Asn,
        Self::Filename,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ipv4 => "ipv4",
            Self::Ipv6 => "ipv6",
            Self::Cidr => "cidr",
            Self::Domain => "domain",
            Self::Url => "url",
            Self::Email => "email",
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
            Self::Sha256 => "sha256",
            Self::Asn => "asn",
            Self::Filename => "filename",
        }
    }

    /// Whether [`Observable::parse`] finds this kind on its own. A file name can be any text,
    /// so it is read only when the kind is given.
    pub const fn is_auto_detected(self) -> bool {
        !matches!(self, Self::Filename)
    }

    /// The kind in words, for error messages.
    const fn noun(self) -> &'static str {
        match self {
            Self::Ipv4 => "IPv4 address",
            Self::Ipv6 => "IPv6 address",
            Self::Cidr => "netblock",
            Self::Domain => "domain name",
            Self::Url => "URL",
            Self::Email => "e-mail address",
            Self::Md5 => "MD5 hash",
            Self::Sha1 => "SHA-1 hash",
            Self::Sha256 => "SHA-256 hash",
            Self::Asn => "AS number",
            Self::Filename => "file name",
        }
    }
}

impl FromStr for ObservableKind {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Self::ALL.into_iter().find(|k| k.as_str().eq_ignore_ascii_case(t)).ok_or_else(|| {
            ParseError::new(
                "observable kind",
                s,
                "use one of ipv4, ipv6, cidr, domain, url, email, md5, sha1, sha256, asn, filename",
            )
        })
    }
}

impl fmt::Display for ObservableKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One observable, in canonical form (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Observable {
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
    Cidr(IpNet),
    Domain(DomainName),
    Url(url::Url),
    Email(EmailAddress),
    /// 32 lower-case hex digits.
    Md5(String),
    /// 40 lower-case hex digits.
    Sha1(String),
    /// 64 lower-case hex digits.
    Sha256(String),
    Asn(Asn),
    Filename(String),
}

impl Observable {
    /// Reads an observable of any kind but [`ObservableKind::Filename`], trying in turn: URL (it
    /// has a scheme), netblock, IP address, e-mail address, hash (hex of exact length), AS number
    /// (written with `AS`; a bare number is refused as ambiguous), domain name.
    ///
    /// When the input has the shape of one kind but is not a valid one (`999.1.1.1`), the error
    /// says what is wrong with it as that kind.
    pub fn parse(input: &str) -> Result<Observable, ParseError> {
        check_length(input)?;
        let text = clean(input);
        if text.is_empty() {
            return Err(ParseError::new("observable", input, format!("it is empty: {ACCEPTED}")));
        }
        let kind = detect(&text).map_err(|reason| ParseError::new("observable", input, reason))?;
        Self::parse_as(kind, input)
    }

    /// Reads an observable of the given kind.
    pub fn parse_as(kind: ObservableKind, input: &str) -> Result<Observable, ParseError> {
        check_length(input)?;
        let observable = match kind {
            ObservableKind::Ipv4 => parse_ipv4(input),
            ObservableKind::Ipv6 => parse_ipv6(input),
            ObservableKind::Cidr => parse_cidr(input),
            ObservableKind::Domain => parse_domain(input),
            ObservableKind::Url => parse_url_stable(input),
            ObservableKind::Email => parse_email(input),
            ObservableKind::Md5 | ObservableKind::Sha1 | ObservableKind::Sha256 => parse_hash(kind, input),
            ObservableKind::Asn => parse_asn(input),
            ObservableKind::Filename => parse_filename(input),
        }?;
        if observable.value().len() > MAX_INPUT_BYTES {
            return Err(ParseError::new(
                kind.noun(),
                input,
                "its canonical form is longer than 8 KiB, which is more than an observable may be",
            ));
        }
        Ok(observable)
    }

    pub fn kind(&self) -> ObservableKind {
        match self {
            Self::Ipv4(_) => ObservableKind::Ipv4,
            Self::Ipv6(_) => ObservableKind::Ipv6,
            Self::Cidr(_) => ObservableKind::Cidr,
            Self::Domain(_) => ObservableKind::Domain,
            Self::Url(_) => ObservableKind::Url,
            Self::Email(_) => ObservableKind::Email,
            Self::Md5(_) => ObservableKind::Md5,
            Self::Sha1(_) => ObservableKind::Sha1,
            Self::Sha256(_) => ObservableKind::Sha256,
            Self::Asn(_) => ObservableKind::Asn,
            Self::Filename(_) => ObservableKind::Filename,
        }
    }

    /// The canonical text form, the same as `Display`.
    pub fn value(&self) -> String {
        self.to_string()
    }

    /// A form that is safe to put in a mail or a chat, where it will not become a link:
    /// `hxxp://example[.]org/`, `192.0.2[.]1`, `2001[:]db8[:][:]1`, `name[@]example[.]org`.
    /// [`Observable::parse`] reads it back as the same observable. Hashes and AS numbers are
    /// left as they are. A file name has its dots bracketed (`invoice[.]zip`, since `.zip` is
    /// also a top-level domain), which cannot be read back, as file names are never refanged.
    /// URLs with the schemes sftp, ws and wss keep their scheme (there is no common defanged
    /// spelling); their host is defanged all the same.
    pub fn defanged(&self) -> String {
        match self {
            Self::Ipv4(a) => defang_ipv4(&a.to_string()),
            Self::Ipv6(a) => defang_ipv6(&a.to_string()),
            Self::Cidr(IpNet::V4(net)) => {
                format!("{}/{}", defang_ipv4(&net.addr().to_string()), net.prefix_len())
            }
            Self::Cidr(IpNet::V6(net)) => defang_ipv6(&net.to_string()),
            Self::Domain(d) => d.as_str().replace('.', "[.]"),
            Self::Url(u) => defang_url(u),
            Self::Email(e) => {
                format!("{}[@]{}", e.local_part(), e.domain().as_str().replace('.', "[.]"))
            }
            Self::Md5(h) | Self::Sha1(h) | Self::Sha256(h) => h.clone(),
            Self::Asn(a) => a.to_string(),
            Self::Filename(name) => name.replace('.', "[.]"),
        }
    }
}

impl fmt::Display for Observable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ipv4(a) => write!(f, "{a}"),
            Self::Ipv6(a) => write!(f, "{a}"),
            Self::Cidr(net) => write!(f, "{net}"),
            Self::Domain(d) => write!(f, "{d}"),
            Self::Url(u) => f.write_str(u.as_str()),
            Self::Email(e) => write!(f, "{e}"),
            Self::Md5(h) | Self::Sha1(h) | Self::Sha256(h) | Self::Filename(h) => f.write_str(h),
            Self::Asn(a) => write!(f, "{a}"),
        }
    }
}

impl FromStr for Observable {
    type Err = ParseError;

    /// The same as [`Observable::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// How an observable travels: `{"kind": "ipv4", "value": "192.0.2.1"}`.
#[derive(Serialize)]
struct WireRef<'a> {
    kind: ObservableKind,
    value: &'a str,
}

#[derive(Deserialize)]
struct Wire {
    kind: ObservableKind,
    value: String,
}

impl Serialize for Observable {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let value = self.value();
        WireRef { kind: self.kind(), value: &value }.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Observable {
    /// Reads the value with [`Observable::parse_as`], so an invalid one is refused and a
    /// non-canonical one is made canonical.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = Wire::deserialize(deserializer)?;
        Observable::parse_as(wire.kind, &wire.value).map_err(serde::de::Error::custom)
    }
}

/// Undoes common defanging in free text: `hxxp://`, `hxxps://` and `fxp://` (any case, also as
/// `hxxp[:]//` and `hxxp[://]`), and the bracketed forms `[.]`, `(.)`, `{.}`, `[dot]`, `(dot)`,
/// `{dot}`, `[:]`, `[://]`, `[@]`, `(@)`, `{@}`, `[at]`, `(at)`, `{at}`.
///
/// It is conservative on purpose: unbracketed words (` dot `, ` at `) are left alone, since in
/// free text they are usually just words.
pub fn refang(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut i = 0;
    while let Some(rest) = input.get(i..) {
        let Some(c) = rest.chars().next() else { break };
        let at_word_start = !out.chars().next_back().is_some_and(char::is_alphanumeric);
        if let Some((consumed, replacement)) = defanged_token(rest, at_word_start) {
            out.push_str(replacement);
            i += consumed;
        } else {
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Bracketed stand-ins and what they stand for. Longest first where one begins another.
const BRACKETED: [(&str, &str); 14] = [
    ("[://]", "://"),
    ("[:]", ":"),
    ("[.]", "."),
    ("(.)", "."),
    ("{.}", "."),
    ("[dot]", "."),
    ("(dot)", "."),
    ("{dot}", "."),
    ("[@]", "@"),
    ("(@)", "@"),
    ("{@}", "@"),
    ("[at]", "@"),
    ("(at)", "@"),
    ("{at}", "@"),
];

/// Defanged schemes and their real names. Longest first where one begins another.
const SCHEMES: [(&str, &str); 4] = [("hxxps", "https://"), ("hxxp", "http://"), ("fxps", "ftps://"), ("fxp", "ftp://")];

/// What a scheme is followed by, plain or defanged.
const SCHEME_SEPARATORS: [&str; 3] = ["://", "[://]", "[:]//"];

/// The defanged token at the start of `rest`, if any: how many bytes it takes and what it
/// stands for.
fn defanged_token(rest: &str, at_word_start: bool) -> Option<(usize, &'static str)> {
    let first = *rest.as_bytes().first()?;
    if matches!(first, b'[' | b'(' | b'{') {
        return BRACKETED
            .iter()
            .find(|(token, _)| starts_with_ignore_case(rest, token))
            .map(|(token, real)| (token.len(), *real));
    }
    if at_word_start && matches!(first, b'h' | b'H' | b'f' | b'F') {
        for (defanged, real) in SCHEMES {
            if !starts_with_ignore_case(rest, defanged) {
                continue;
            }
            let after = rest.get(defanged.len()..)?;
            if let Some(separator) = SCHEME_SEPARATORS.iter().find(|sep| starts_with_ignore_case(after, sep)) {
                return Some((defanged.len() + separator.len(), real));
            }
        }
    }
    None
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

fn check_length(input: &str) -> Result<(), ParseError> {
    if input.len() > MAX_INPUT_BYTES {
        Err(ParseError::new(
            "observable",
            input,
            format!("it is {} bytes long; an observable has at most 8 KiB ({MAX_INPUT_BYTES} bytes)", input.len()),
        ))
    } else {
        Ok(())
    }
}

/// The input without surrounding whitespace, `<…>` and quotes, however deeply nested.
fn unwrap_quotes(input: &str) -> &str {
    const PAIRS: [(&str, &str); 7] = [
        ("<", ">"),
        ("\"", "\""),
        ("'", "'"),
        ("`", "`"),
        ("\u{201c}", "\u{201d}"),
        ("\u{2018}", "\u{2019}"),
        ("\u{ab}", "\u{bb}"),
    ];
    let mut t = input.trim();
    loop {
        let inner = PAIRS.iter().find_map(|(open, close)| t.strip_prefix(open).and_then(|r| r.strip_suffix(close)));
        match inner {
            Some(inner) => t = inner.trim(),
            None => return t,
        }
    }
}

/// The input unwrapped and refanged: what every kind but e-mail and file name reads.
fn clean(input: &str) -> String {
    unwrap_quotes(&refang(unwrap_quotes(input))).to_owned()
}

/// `evil dot example dot org` as `evil.example.org`: only when the whole text is labels
/// separated by a spoken ` dot `, so that nothing else is taken for a dot.
fn join_spoken_dots(text: &str) -> Option<String> {
    if !text.contains(char::is_whitespace) {
        return None;
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() < 3 || words.len().is_multiple_of(2) {
        return None;
    }
    let separators_are_dots = words.iter().skip(1).step_by(2).all(|w| w.eq_ignore_ascii_case("dot") || *w == ".");
    let labels_are_plain = words.iter().step_by(2).all(|w| !w.eq_ignore_ascii_case("dot"));
    (separators_are_dots && labels_are_plain).then(|| words.iter().step_by(2).copied().collect::<Vec<_>>().join("."))
}

/// Which kind the cleaned text has the shape of, or why it has none.
fn detect(text: &str) -> Result<ObservableKind, String> {
    if looks_like_url(text) {
        return Ok(ObservableKind::Url);
    }
    if looks_like_cidr(text) {
        return Ok(ObservableKind::Cidr);
    }
    if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        if !text.contains('.') {
            return Err(format!("a bare number is ambiguous: write an AS number as AS{text}, or give the kind"));
        }
        return Ok(ObservableKind::Ipv4);
    }
    if text
        .rsplit_once(':')
        .is_some_and(|(address, port)| address.parse::<Ipv4Addr>().is_ok() && port.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(format!(
            "an address with a port is not an observable: give the address alone, or a URL such \
             as http://{text}/"
        ));
    }
    let unbracketed = strip_brackets(text);
    if unbracketed.contains(':') && unbracketed.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.') {
        return Ok(ObservableKind::Ipv6);
    }
    if text.contains('@') {
        return Ok(ObservableKind::Email);
    }
    if text.bytes().all(|b| b.is_ascii_hexdigit()) {
        match text.len() {
            32 => return Ok(ObservableKind::Md5),
            40 => return Ok(ObservableKind::Sha1),
            64 => return Ok(ObservableKind::Sha256),
            n if n >= 24 => {
                return Err(format!("it looks like a hash but has {n} hex digits: MD5 has 32, SHA-1 40, SHA-256 64"));
            }
            _ => {}
        }
    }
    if strip_as_prefix(text).is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())) {
        return Ok(ObservableKind::Asn);
    }
    if text.contains('.') || join_spoken_dots(text).is_some() {
        return Ok(ObservableKind::Domain);
    }
    Err(format!("it is not an observable cirtkit recognises: {ACCEPTED}"))
}

/// A scheme followed by `://`, or one of ours followed by `:` (which the URL parser accepts for
/// http and its kin).
fn looks_like_url(text: &str) -> bool {
    if let Some((scheme, _)) = text.split_once("://") {
        let mut chars = scheme.chars();
        if chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        {
            return true;
        }
    }
    text.split_once(':').is_some_and(|(scheme, _)| URL_SCHEMES.iter().any(|s| s.eq_ignore_ascii_case(scheme)))
}

/// An IP address, `/`, and a number of at most three digits.
fn looks_like_cidr(text: &str) -> bool {
    text.split_once('/').is_some_and(|(address, prefix)| {
        (1..=3).contains(&prefix.len())
            && prefix.bytes().all(|b| b.is_ascii_digit())
            && address.parse::<IpAddr>().is_ok()
    })
}

/// `[2001:db8::1]` as `2001:db8::1`, as IPv6 addresses are written in URLs.
fn strip_brackets(text: &str) -> &str {
    text.strip_prefix('[').and_then(|t| t.strip_suffix(']')).unwrap_or(text)
}

/// What follows `AS` (any case), if the text starts with it.
fn strip_as_prefix(text: &str) -> Option<&str> {
    starts_with_ignore_case(text, "as").then(|| text.get(2..)).flatten()
}

fn parse_ipv4(input: &str) -> Result<Observable, ParseError> {
    let text = clean(input);
    text.parse::<Ipv4Addr>().map(Observable::Ipv4).map_err(|_| {
        ParseError::new(
            ObservableKind::Ipv4.noun(),
            input,
            "write four numbers from 0 to 255 without leading zeros, such as 192.0.2.1",
        )
    })
}

fn parse_ipv6(input: &str) -> Result<Observable, ParseError> {
    let text = clean(input);
    strip_brackets(&text).parse::<Ipv6Addr>().map(Observable::Ipv6).map_err(|_| {
        ParseError::new(ObservableKind::Ipv6.noun(), input, "write it in standard notation, such as 2001:db8::1")
    })
}

fn parse_cidr(input: &str) -> Result<Observable, ParseError> {
    const WHAT: &str = ObservableKind::Cidr.noun();
    let text = clean(input);
    let (address, prefix) = match text.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (text.as_str(), None),
    };
    let address: IpAddr = address
        .parse()
        .map_err(|_| ParseError::new(WHAT, input, "write an IP address and a prefix length, such as 192.0.2.0/24"))?;
    let max = if address.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        None => max,
        Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => {
            p.parse::<u8>().unwrap_or(u8::MAX)
        }
        Some(_) => {
            return Err(ParseError::new(WHAT, input, "the prefix length after '/' is a number"));
        }
    };
    IpNet::new(address, prefix)
        .map(|net| Observable::Cidr(net.trunc()))
        .map_err(|_| ParseError::new(WHAT, input, format!("the prefix length is at most {max} for this address")))
}

fn parse_domain(input: &str) -> Result<Observable, ParseError> {
    let text = clean(input);
    let text = join_spoken_dots(&text).unwrap_or(text);
    text.parse::<DomainName>()
        .map(Observable::Domain)
        .map_err(|e| ParseError::new(ObservableKind::Domain.noun(), input, e.reason))
}

/// The `@` stand-ins of defanged e-mail addresses, bracketed `@` first.
const AT_SIGNS: [&str; 6] = ["[@]", "(@)", "{@}", "[at]", "(at)", "{at}"];

/// Only the `@` and the domain are refanged: the part before the `@` may hold `{.}` or `{at}`
/// as it is. The last `@` separates the two parts, with its brackets if it has them; without
/// an `@`, the last `[at]`, `(at)` or `{at}` does.
fn split_email(text: &str) -> Option<(&str, &str)> {
    if let Some(at) = text.rfind('@') {
        let bracketed = AT_SIGNS[..3].iter().any(|sign| at > 0 && text.get(at - 1..at + 2) == Some(sign));
        return if bracketed {
            Some((text.get(..at - 1)?, text.get(at + 2..)?))
        } else {
            Some((text.get(..at)?, text.get(at + 1..)?))
        };
    }
    let lower = text.to_ascii_lowercase();
    let (at, len) = AT_SIGNS[3..]
        .iter()
        .filter_map(|sign| lower.rfind(sign).map(|at| (at, sign.len())))
        .max_by_key(|(at, _)| *at)?;
    Some((text.get(..at)?, text.get(at + len..)?))
}

fn parse_email(input: &str) -> Result<Observable, ParseError> {
    const WHAT: &str = ObservableKind::Email.noun();
    let split = split_email(unwrap_quotes(input));
    let (local, domain) = split.ok_or_else(|| ParseError::new(WHAT, input, "write it as name@example.org"))?;
    let domain = clean(domain);
    let domain = join_spoken_dots(&domain).unwrap_or(domain);
    format!("{local}@{domain}")
        .parse::<EmailAddress>()
        .map(Observable::Email)
        .map_err(|e| ParseError::new(WHAT, input, e.reason))
}

/// A URL, refused unless its canonical form reads back as itself. The `url` crate's
/// serialisation is not a fixed point in every corner of the WHATWG rules, and refanging the
/// whole URL could turn brackets left in a path into something else on a second reading.
fn parse_url_stable(input: &str) -> Result<Observable, ParseError> {
    let url = parse_url(input)?;
    match parse_url(&url.to_string()) {
        Ok(again) if again == url => Ok(url),
        _ => Err(ParseError::new(
            ObservableKind::Url.noun(),
            input,
            "its canonical form does not read back as the same URL; percent-encode brackets in it",
        )),
    }
}

fn parse_url(input: &str) -> Result<Observable, ParseError> {
    const WHAT: &str = ObservableKind::Url.noun();
    let text = clean(input);
    let mut url = url::Url::parse(&text)
        .map_err(|e| ParseError::new(WHAT, input, format!("{e}; write it as https://example.org/path")))?;
    if !URL_SCHEMES.contains(&url.scheme()) {
        return Err(ParseError::new(WHAT, input, "only http, https, ftp, ftps, sftp, ws and wss URLs are observables"));
    }
    // sftp and ftps are not "special" schemes to the URL standard: their host is kept as
    // written, so it is made canonical here as for the others.
    let canonical_host = match url.host() {
        None => {
            return Err(ParseError::new(WHAT, input, "it has no host; write it as https://example.org/path"));
        }
        Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) => None,
        Some(url::Host::Domain(host)) if host.parse::<Ipv4Addr>().is_ok() => None,
        Some(url::Host::Domain(host)) => {
            let name = host
                .parse::<DomainName>()
                .map_err(|e| ParseError::new(WHAT, input, format!("its host: {}", e.reason)))?;
            (name.as_str() != host).then(|| name.as_str().to_owned())
        }
    };
    if let Some(host) = canonical_host {
        url.set_host(Some(&host)).map_err(|e| ParseError::new(WHAT, input, format!("its host: {e}")))?;
    }
    let default_port = match url.scheme() {
        "sftp" => Some(22),
        "ftps" => Some(990),
        _ => None,
    };
    if default_port.is_some() && url.port() == default_port {
        url.set_port(None).map_err(|()| ParseError::new(WHAT, input, "its port cannot be dropped"))?;
    }
    Ok(Observable::Url(url))
}

fn parse_hash(kind: ObservableKind, input: &str) -> Result<Observable, ParseError> {
    let text = clean(input);
    let (length, make): (usize, fn(String) -> Observable) = match kind {
        ObservableKind::Md5 => (32, Observable::Md5),
        ObservableKind::Sha1 => (40, Observable::Sha1),
        _ => (64, Observable::Sha256),
    };
    if text.len() != length || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ParseError::new(kind.noun(), input, format!("write it as {length} hex digits")));
    }
    Ok(make(text.to_ascii_lowercase()))
}

fn parse_asn(input: &str) -> Result<Observable, ParseError> {
    const WHAT: &str = ObservableKind::Asn.noun();
    let text = clean(input);
    let digits = strip_as_prefix(&text).unwrap_or(&text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::new(WHAT, input, "write it as AS64500 or 64500"));
    }
    digits
        .parse::<u32>()
        .map(|n| Observable::Asn(Asn::new(n)))
        .map_err(|_| ParseError::new(WHAT, input, "AS numbers go up to 4294967295"))
}

fn parse_filename(input: &str) -> Result<Observable, ParseError> {
    const WHAT: &str = ObservableKind::Filename.noun();
    let name = unwrap_quotes(input);
    let reason = if name.is_empty() {
        "it is empty"
    } else if name.contains('/') {
        "a file name has no '/': give the name without its directory"
    } else if name.contains('\0') {
        "a file name has no NUL character"
    } else if name.contains(char::is_control) {
        "a file name here has no control characters (line breaks, tabs)"
    } else if name.len() > MAX_FILENAME_BYTES {
        "a file name has at most 255 bytes"
    } else {
        return Ok(Observable::Filename(name.to_owned()));
    };
    Err(ParseError::new(WHAT, input, reason))
}

/// `192.0.2.1` as `192.0.2[.]1`.
fn defang_ipv4(address: &str) -> String {
    match address.rsplit_once('.') {
        Some((head, last)) => format!("{head}[.]{last}"),
        None => address.to_owned(),
    }
}

/// `2001:db8::1` as `2001[:]db8[:][:]1`.
fn defang_ipv6(address: &str) -> String {
    address.replace(':', "[:]").replace('.', "[.]")
}

/// The scheme and the host defanged; the rest as it is.
fn defang_url(url: &url::Url) -> String {
    use url::Position;
    let scheme = match url.scheme() {
        "http" => "hxxp",
        "https" => "hxxps",
        "ftp" => "fxp",
        "ftps" => "fxps",
        other => other,
    };
    let host = match url.host() {
        Some(url::Host::Domain(name)) => name.replace('.', "[.]"),
        Some(url::Host::Ipv4(address)) => defang_ipv4(&address.to_string()),
        // Written in brackets already; a browser would not follow a bare one in a mail.
        Some(url::Host::Ipv6(address)) => format!("[{address}]"),
        None => String::new(),
    };
    format!("{scheme}{}{host}{}", &url[Position::AfterScheme..Position::BeforeHost], &url[Position::AfterHost..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use ObservableKind as K;
    use proptest::prelude::*;

    const MD5: &str = "d41d8cd98f00b204e9800998ecf8427e";
    const SHA1: &str = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
    const SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn parsed(input: &str) -> Observable {
        Observable::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"))
    }

    #[test]
    fn auto_detection_reads_each_kind_into_its_canonical_form() {
        let cases: &[(&str, ObservableKind, &str)] = &[
            ("192.0.2.1", K::Ipv4, "192.0.2.1"),
            ("  192.0.2[.]1\n", K::Ipv4, "192.0.2.1"),
            ("192(.)0{.}2[dot]1", K::Ipv4, "192.0.2.1"),
            ("2001:DB8:0:0:0:0:0:1", K::Ipv6, "2001:db8::1"),
            ("2001[:]db8[:][:]1", K::Ipv6, "2001:db8::1"),
            ("[2001:db8::1]", K::Ipv6, "2001:db8::1"),
            ("::ffff:192.0.2.1", K::Ipv6, "::ffff:192.0.2.1"),
            ("192.0.2.77/24", K::Cidr, "192.0.2.0/24"),
            ("192.0.2.1/32", K::Cidr, "192.0.2.1/32"),
            ("192.0.2[.]0/24", K::Cidr, "192.0.2.0/24"),
            ("2001:db8::1/32", K::Cidr, "2001:db8::/32"),
            ("::ffff:192.0.2.1/120", K::Cidr, "::ffff:192.0.2.0/120"),
            ("Example.ORG.", K::Domain, "example.org"),
            ("www[.]example(.)org", K::Domain, "www.example.org"),
            ("evil dot example DOT com", K::Domain, "evil.example.com"),
            ("'bücher.example'", K::Domain, "xn--bcher-kva.example"),
            ("hxxp://Example[.]ORG:80/a?b#c", K::Url, "http://example.org/a?b#c"),
            ("hXXps://example[.]org", K::Url, "https://example.org/"),
            ("<https://example.org/login.php>", K::Url, "https://example.org/login.php"),
            ("hxxps[:]//evil[.]example/index[.]php", K::Url, "https://evil.example/index.php"),
            ("http[:]//example[.]org", K::Url, "http://example.org/"),
            ("hxxp[://]example[.]org", K::Url, "http://example.org/"),
            ("fxp://files.example.org/x", K::Url, "ftp://files.example.org/x"),
            ("HTTP://EXAMPLE.ORG./A", K::Url, "http://example.org/A"),
            ("sftp://Files.Example.org:22/x", K::Url, "sftp://files.example.org/x"),
            ("ftps://files.example.org:990/", K::Url, "ftps://files.example.org/"),
            ("wss://[2001:DB8::1]:443/feed", K::Url, "wss://[2001:db8::1]/feed"),
            ("https://bücher.example/", K::Url, "https://xn--bcher-kva.example/"),
            ("http://paypal.com@evil.example/", K::Url, "http://paypal.com@evil.example/"),
            ("\"cert@Example.TN\"", K::Email, "cert@example.tn"),
            ("name[@]example[.]org", K::Email, "name@example.org"),
            ("Name(at)Example(dot)org", K::Email, "Name@example.org"),
            ("a{.}b@example.org", K::Email, "a{.}b@example.org"),
            ("D41D8CD98F00B204E9800998ECF8427E", K::Md5, MD5),
            (SHA1, K::Sha1, SHA1),
            (SHA256, K::Sha256, SHA256),
            ("AS64500", K::Asn, "AS64500"),
            ("as64500", K::Asn, "AS64500"),
        ];
        for (input, kind, canonical) in cases {
            let o = parsed(input);
            assert_eq!((o.kind(), o.value().as_str()), (*kind, *canonical), "{input:?}");
            assert_eq!(o.to_string(), *canonical);
            assert_eq!(parsed(canonical), o, "{canonical:?} reads back");
            assert_eq!(parsed(&o.defanged()), o, "{:?} reads back", o.defanged());
        }
    }

    #[test]
    fn parse_as_reads_what_auto_detection_does_not() {
        let cases: &[(ObservableKind, &str, &str)] = &[
            (K::Asn, "64500", "AS64500"),
            (K::Asn, " aS64500 ", "AS64500"),
            (K::Cidr, "192.0.2.1", "192.0.2.1/32"),
            (K::Cidr, "2001:db8::1", "2001:db8::1/128"),
            (K::Cidr, "192.0.2.1/32", "192.0.2.1/32"),
            (K::Filename, "  \"invoice.pdf.exe\" ", "invoice.pdf.exe"),
            (K::Filename, "a[.]b (copy).zip", "a[.]b (copy).zip"),
            (K::Filename, "C:\\Users\\x.exe", "C:\\Users\\x.exe"),
            (K::Md5, " D41D8CD98F00B204E9800998ECF8427E ", MD5),
        ];
        for (kind, input, canonical) in cases {
            let o = Observable::parse_as(*kind, input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!((o.kind(), o.value().as_str()), (*kind, *canonical), "{input:?}");
            assert_eq!(Observable::parse_as(*kind, canonical), Ok(o));
        }
    }

    #[test]
    fn defanged_forms() {
        let cases: &[(ObservableKind, &str, &str)] = &[
            (K::Ipv4, "192.0.2.1", "192.0.2[.]1"),
            (K::Ipv6, "2001:db8::1", "2001[:]db8[:][:]1"),
            (K::Cidr, "192.0.2.0/24", "192.0.2[.]0/24"),
            (K::Cidr, "2001:db8::/32", "2001[:]db8[:][:]/32"),
            (K::Domain, "www.example.org", "www[.]example[.]org"),
            (K::Url, "https://www.example.org/a.php?x=1", "hxxps://www[.]example[.]org/a.php?x=1"),
            (K::Url, "http://192.0.2.1:8080/", "hxxp://192.0.2[.]1:8080/"),
            (K::Url, "ftp://u:p@files.example.org/", "fxp://u:p@files[.]example[.]org/"),
            (K::Url, "wss://example.org/", "wss://example[.]org/"),
            (K::Email, "name@example.org", "name[@]example[.]org"),
            (K::Md5, MD5, MD5),
            (K::Asn, "AS64500", "AS64500"),
            (K::Filename, "invoice.zip", "invoice[.]zip"),
        ];
        for (kind, value, defanged) in cases {
            let o = Observable::parse_as(*kind, value).unwrap_or_else(|e| panic!("{value:?}: {e}"));
            assert_eq!(o.defanged(), *defanged);
        }
    }

    #[test]
    fn rejections_say_why() {
        let long = "a".repeat(MAX_INPUT_BYTES + 1);
        let cases: &[(&str, &str)] = &[
            ("", "empty"),
            (" \"\" ", "empty"),
            (&long, "8 KiB"),
            ("hello", "AS number (AS64500)"),
            ("64500", "bare number is ambiguous"),
            ("999.1.1.1", "0 to 255"),
            ("01.2.3.4", "leading zeros"),
            ("1:2:3", "2001:db8::1"),
            ("192.0.2.0/33", "at most 32"),
            ("gopher://example.org/", "only http, https"),
            ("javascript:alert(1)", "not an observable"),
            ("http://localhost/", "its host"),
            ("http://exa!mple.org/", "its host"),
            ("http://", "host"),
            ("deadbeefdeadbeefdeadbeef", "hex digits"),
            ("AS4294967296", "4294967295"),
            ("a@b", "its domain"),
            ("name at example dot org", "not an observable"),
            ("192.0.2.1:80", "with a port"),
        ];
        for (input, reason) in cases {
            let e = Observable::parse(input).expect_err(input);
            assert!(e.reason.contains(reason), "{input:?}: {e}");
        }
        let cases: &[(ObservableKind, &str, &str)] = &[
            (K::Filename, "", "empty"),
            (K::Filename, "dir/a.exe", "'/'"),
            (K::Filename, "a\0b", "NUL"),
            (K::Filename, "a\nb", "control"),
            (K::Filename, &"x".repeat(256), "255"),
            (K::Md5, SHA1, "32 hex digits"),
            (K::Sha256, "zz", "64 hex digits"),
            (K::Ipv4, "::1", "0 to 255"),
            (K::Ipv6, "192.0.2.1", "2001:db8::1"),
            (K::Cidr, "192.0.2.0/x", "number"),
            (K::Asn, "AS-1", "AS64500"),
            (K::Url, "example.org", "https://example.org/path"),
            (K::Domain, "example", "full name"),
        ];
        for (kind, input, reason) in cases {
            let e = Observable::parse_as(*kind, input).expect_err(input);
            assert!(e.reason.contains(reason), "{kind} {input:?}: {e}");
        }
    }

    #[test]
    fn refang_is_conservative() {
        assert_eq!(
            refang("see hxxp://evil[.]example/x and HXXPS[:]//a(dot)b, mail x[at]y{.}org"),
            "see http://evil.example/x and https://a.b, mail x@y.org"
        );
        assert_eq!(refang("meet at noon, dot the i's"), "meet at noon, dot the i's");
        assert_eq!(refang("hxxp is a word; ahxxp://x stays"), "hxxp is a word; ahxxp://x stays");
        assert_eq!(refang("fxp://files[.]example"), "ftp://files.example");
        assert_eq!(refang("2001[:]db8[:][:]1 [DOT] ünï[.]code"), "2001:db8::1 . ünï.code");
    }

    #[test]
    fn kinds_have_names() {
        for kind in ObservableKind::ALL {
            assert_eq!(kind.as_str().parse::<ObservableKind>(), Ok(kind));
            assert_eq!(kind.as_str().to_uppercase().parse::<ObservableKind>(), Ok(kind));
            assert_eq!(kind.to_string(), kind.as_str());
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
            assert_eq!(kind.is_auto_detected(), kind != K::Filename);
        }
        assert!("ip".parse::<ObservableKind>().is_err());
    }

    #[test]
    fn serde_carries_kind_and_value_and_parses_on_the_way_in() {
        let o = parsed("192.0.2[.]1");
        let json = serde_json::to_value(&o).unwrap();
        assert_eq!(json, serde_json::json!({"kind": "ipv4", "value": "192.0.2.1"}));
        assert_eq!(serde_json::from_value::<Observable>(json).unwrap(), o);
        let loose: Observable = serde_json::from_str(r#"{"kind": "cidr", "value": "192.0.2.77/24"}"#).unwrap();
        assert_eq!(loose.value(), "192.0.2.0/24");
        let e = serde_json::from_str::<Observable>(r#"{"kind": "ipv4", "value": "example.org"}"#).unwrap_err();
        assert!(e.to_string().contains("IPv4"), "{e}");
        assert!(serde_json::from_str::<Observable>(r#"{"kind": "ip", "value": "1.2.3.4"}"#).is_err());
    }

    fn domain_text() -> impl Strategy<Value = String> {
        let label = "[a-z0-9äöüéß]([a-z0-9_-]{0,8}[a-z0-9])?";
        (prop::collection::vec(label, 1..4), "[a-zA-Z]{2,6}")
            .prop_map(|(labels, tld)| format!("{}.{tld}", labels.join(".")))
    }

    fn url_text() -> impl Strategy<Value = String> {
        let host = prop_oneof![
            domain_text(),
            any::<u32>().prop_map(|n| Ipv4Addr::from(n).to_string()),
            any::<u128>().prop_map(|n| format!("[{}]", Ipv6Addr::from(n))),
        ];
        (
            prop::sample::select(URL_SCHEMES.to_vec()),
            prop::option::of("[a-z0-9()%.]{1,6}(:[a-z0-9]{0,6})?@"),
            host,
            prop::option::of(any::<u16>()),
            "(/[a-zA-Z0-9._~%!$&'()*+,;=:@\\[\\]{}é -]{0,10}){0,3}",
            prop::option::of("\\?[a-zA-Z0-9=&%\\[\\].(){}/:-]{0,12}"),
            prop::option::of("#[a-zA-Z0-9\\[\\].()-]{0,8}"),
        )
            .prop_map(|(scheme, user, host, port, path, query, fragment)| {
                format!(
                    "{scheme}://{}{host}{}{path}{}{}",
                    user.unwrap_or_default(),
                    port.map(|p| format!(":{p}")).unwrap_or_default(),
                    query.unwrap_or_default(),
                    fragment.unwrap_or_default()
                )
            })
    }

    /// Observables of every kind, made through `parse_as` where the canonical form is not
    /// obvious, so that the strategies need not know it.
    fn observable() -> impl Strategy<Value = Observable> {
        prop_oneof![
            any::<u32>().prop_map(|n| Observable::Ipv4(n.into())),
            any::<u128>().prop_map(|n| Observable::Ipv6(n.into())),
            any::<u32>().prop_map(|n| Observable::Ipv6(Ipv4Addr::from(n).to_ipv6_mapped())),
            (any::<u32>(), 0u8..=32)
                .prop_map(|(n, p)| { Observable::Cidr(IpNet::new(Ipv4Addr::from(n).into(), p).unwrap().trunc()) }),
            (any::<u128>(), 0u8..=128)
                .prop_map(|(n, p)| { Observable::Cidr(IpNet::new(Ipv6Addr::from(n).into(), p).unwrap().trunc()) }),
            domain_text().prop_filter_map("a valid domain", |d| Observable::parse_as(K::Domain, &d).ok()),
            url_text().prop_filter_map("a valid URL", |u| Observable::parse_as(K::Url, &u).ok()),
            ("[a-zA-Z0-9._%+'{}/=!#$&*?^`|~-]{1,12}", domain_text())
                .prop_filter_map("a valid e-mail address", |(local, domain)| {
                    Observable::parse_as(K::Email, &format!("{local}@{domain}")).ok()
                }),
            "[0-9a-f]{32}".prop_map(Observable::Md5),
            "[0-9a-f]{40}".prop_map(Observable::Sha1),
            "[0-9a-f]{64}".prop_map(Observable::Sha256),
            any::<u32>().prop_map(|n| Observable::Asn(Asn::new(n))),
            "[^/\\x00]{1,40}".prop_filter_map("a valid file name", |f| { Observable::parse_as(K::Filename, &f).ok() }),
        ]
    }

    /// Bits of what people paste, to be put together at random.
    #[rustfmt::skip]
    const PIECES: [&str; 40] = [
        "hxxp", "HXXPS", "fxp", "http", "sftp", "ws", "://", "[://]", "[:]", ":", "//", "/",
        "[.]", "(.)", "{dot}", ".", "[@]", "(at)", "@", "example", "org", "xn--bcher-kva", "ü",
        "192.0.2.1", "2001:db8::", "::ffff:", "24", "AS", "64500", "d41d8cd98f00b204", "[", "]",
        "{", "}", "(", "\"", "<", " dot ", "%41", "?#",
    ];

    /// Bits of hosts, defanged or not.
    #[rustfmt::skip]
    const HOST_PIECES: [&str; 16] = [
        "example", "ORG", ".", "[.]", "(dot)", "{.}", "xn--bcher-kva", "ü", "192.0.2.1", "-",
        "[2001:db8::1]", ":8080", ":", "[:]", "_", "%41",
    ];

    /// What every observable that was read must satisfy.
    fn assert_reads_back(o: &Observable) -> Result<(), TestCaseError> {
        let value = o.value();
        prop_assert_eq!(Observable::parse_as(o.kind(), &value), Ok(o.clone()));
        if o.kind().is_auto_detected() {
            prop_assert_eq!(Observable::parse(&value), Ok(o.clone()), "value {}", value);
            let defanged = o.defanged();
            prop_assert_eq!(Observable::parse(&defanged), Ok(o.clone()), "defanged {}", defanged);
        }
        Ok(())
    }

    proptest! {

        #[test]
        fn every_observable_reads_back_from_its_value_and_defanged_form(o in observable()) {
            assert_reads_back(&o)?;
        }

        #[test]
        fn parse_never_panics_and_what_it_reads_reads_back(s in any::<String>()) {
            if let Ok(o) = Observable::parse(&s) {
                assert_reads_back(&o)?;
            }
        }

        #[test]
        fn parse_of_observable_like_text_reads_back(
            s in "[a-fA-Fhxtps0-9.:/@\\[\\]()%{}<>\"' -]{0,40}"
        ) {
            if let Ok(o) = Observable::parse(&s) {
                assert_reads_back(&o)?;
            }
        }

        #[test]
        fn parse_of_pieces_of_defanged_text_reads_back(
            pieces in prop::collection::vec(prop::sample::select(PIECES.to_vec()), 0..12)
        ) {
            let s = pieces.concat();
            if let Ok(o) = Observable::parse(&s) {
                assert_reads_back(&o)?;
            }
            for kind in ObservableKind::ALL {
                if let Ok(o) = Observable::parse_as(kind, &s) {
                    assert_reads_back(&o)?;
                }
            }
        }

        #[test]
        fn parse_of_defanged_url_like_text_reads_back(
            scheme in prop::sample::select(vec!["hxxp", "HXXPS", "fxp", "fxps", "http", "sftp", "wss", "gopher", ""]),
            separator in prop::sample::select(vec!["://", "[://]", "[:]//", ":", ":/"]),
            user in prop::option::of("[a-z(){}\\[\\].:@%]{0,6}@"),
            host in prop::collection::vec(prop::sample::select(HOST_PIECES.to_vec()), 1..5),
            rest in prop::collection::vec(prop::sample::select(PIECES.to_vec()), 0..8),
        ) {
            let s = format!("{scheme}{separator}{}{}{}", user.unwrap_or_default(), host.concat(), rest.concat());
            if let Ok(o) = Observable::parse(&s) {
                assert_reads_back(&o)?;
            }
        }

        #[test]
        fn parse_as_never_panics_and_what_it_reads_reads_back(
            kind in prop::sample::select(ObservableKind::ALL.to_vec()),
            s in any::<String>(),
        ) {
            if let Ok(o) = Observable::parse_as(kind, &s) {
                prop_assert_eq!(o.kind(), kind);
                assert_reads_back(&o)?;
            }
        }

        #[test]
        fn refang_never_panics(s in any::<String>()) {
            let _ = refang(&s);
        }
    }
}
