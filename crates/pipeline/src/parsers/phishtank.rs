//! PhishTank's `online-valid.json`: an array of verified phishing URLs, streamed one at a time.

use crate::event::Field;
use crate::parse::{self, ParseContext, Parser, ParserSpec, Sink, add_json};
use crate::PipelineError;
use serde_json::Value as J;
use std::io::BufRead;

pub(crate) static SPECS: &[ParserSpec] =
    &[ParserSpec { format: "phishtank", description: "PhishTank online-valid JSON", build: |_| Ok(Box::new(PhishTank)) }];

#[derive(Debug)]
pub struct PhishTank;

fn entry(ctx: &ParseContext, v: &J) -> Result<Option<crate::Event>, PipelineError> {
    let mut e = ctx.new_event();
    add_json(&mut e, Field::SourceUrl, v.get("url"))?;
    add_json(&mut e, Field::EventDescriptionUrl, v.get("phish_detail_url"))?;
    add_json(&mut e, Field::TimeSource, v.get("submission_time"))?;
    add_json(&mut e, Field::EventDescriptionTarget, v.get("target"))?;
    if let Some(id) = v.get("phish_id").and_then(parse::json_text) {
        e.set_extra("phishtank_id", J::String(id.into_owned()))?;
    }
    for key in ["verified", "verification_time", "online"] {
        if let Some(t) = v.get(key).and_then(parse::json_text) {
            e.set_extra(key, J::String(t.into_owned()))?;
        }
    }
    if let Some(d) = v.get("details").and_then(J::as_array).and_then(|d| d.first()) {
        add_json(&mut e, Field::SourceIp, d.get("ip_address"))?;
        add_json(&mut e, Field::SourceNetwork, d.get("cidr_block"))?;
        add_json(&mut e, Field::SourceAsn, d.get("announcing_network"))?;
        add_json(&mut e, Field::SourceRegistry, d.get("rir"))?;
        add_json(&mut e, Field::SourceGeolocationCc, d.get("country"))?;
    }
    e.classify_as("phishing")?;
    Ok(Some(e))
}

impl Parser for PhishTank {
    fn format(&self) -> &'static str {
        "phishtank"
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &ParseContext, sink: &mut dyn Sink) -> Result<(), PipelineError> {
        parse::parse_json_elements(input, ctx, sink, |v| entry(ctx, v))
    }
}
