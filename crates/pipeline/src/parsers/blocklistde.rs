//! blocklist.de lists: one address per line; the list's file name (`ssh.txt`, `imap.txt`, …)
//! says what the addresses did.

use crate::event::Field;
use crate::parse::{self, ParseContext, Parser, ParserSpec, Sink};
use crate::PipelineError;
use std::io::BufRead;

pub(crate) static SPECS: &[ParserSpec] = &[ParserSpec {
    format: "blocklistde",
    description: "blocklist.de address lists (the service comes from the file name or the `list` option)",
    build: |v| Ok(Box::new(BlocklistDe { options: parse::options("blocklistde", v)? })),
}];

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlocklistDeOptions {
    /// The list (`ssh`, `imap`, …) when the file name does not say.
    pub list: Option<String>,
}

#[derive(Debug)]
pub struct BlocklistDe {
    options: BlocklistDeOptions,
}

/// (list, classification.type, protocol.application)
const LISTS: &[(&str, &str, &str)] = &[
    ("all", "blacklist", ""),
    ("amavis", "spam", "smtp"),
    ("apache", "brute-force", "http"),
    ("apacheddos", "ddos", "http"),
    ("asterisk", "brute-force", "sip"),
    ("bots", "spam", ""),
    ("bruteforcelogin", "brute-force", ""),
    ("ftp", "brute-force", "ftp"),
    ("imap", "brute-force", "imap"),
    ("ircbot", "infected-system", "irc"),
    ("mail", "spam", "smtp"),
    ("pop3", "brute-force", "pop3"),
    ("regbot", "spam", "http"),
    ("sip", "brute-force", "sip"),
    ("ssh", "brute-force", "ssh"),
    ("strongips", "blacklist", ""),
];

impl Parser for BlocklistDe {
    fn format(&self) -> &'static str {
        "blocklistde"
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &ParseContext, sink: &mut dyn Sink) -> Result<(), PipelineError> {
        let list = self.options.list.clone().or_else(|| {
            let base = ctx.file_name.as_deref()?.rsplit(['/', '\\']).next()?;
            Some(base.split('.').next()?.to_ascii_lowercase())
        });
        let (name, kind, app) = list
            .as_deref()
            .and_then(|l| LISTS.iter().find(|(n, _, _)| *n == l))
            .copied()
            .ok_or_else(|| PipelineError::Unrecognised {
                reason: format!(
                    "the blocklist.de list is not known from the file name {:?}: set the list option to one of {}",
                    ctx.file_name.as_deref().unwrap_or(""),
                    LISTS.iter().map(|l| l.0).collect::<Vec<_>>().join(", ")
                ),
            })?;
        parse::parse_lines(input, ctx, sink, &['#'], |line| {
            let mut e = ctx.new_event();
            e.add(Field::SourceIp, line)?;
            e.classify_as(kind)?;
            e.add(Field::ClassificationIdentifier, name)?;
            if !app.is_empty() {
                e.add(Field::ProtocolApplication, app)?;
            }
            Ok(Some(e))
        })
    }
}
