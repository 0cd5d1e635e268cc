//! OpenPhish's public feed: one phishing URL per line.

use crate::event::Field;
use crate::parse::{self, ParseContext, Parser, ParserSpec, Sink};
use crate::PipelineError;
use std::io::BufRead;

pub(crate) static SPECS: &[ParserSpec] =
    &[ParserSpec { format: "openphish", description: "OpenPhish URL list", build: |_| Ok(Box::new(OpenPhish)) }];

#[derive(Debug)]
pub struct OpenPhish;

impl Parser for OpenPhish {
    fn format(&self) -> &'static str {
        "openphish"
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &ParseContext, sink: &mut dyn Sink) -> Result<(), PipelineError> {
        parse::parse_lines(input, ctx, sink, &['#'], |line| {
            let mut e = ctx.new_event();
            e.add(Field::SourceUrl, line)?;
            e.classify_as("phishing")?;
            Ok(Some(e))
        })
    }
}
