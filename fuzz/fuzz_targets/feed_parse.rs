//! Fuzzes every feed parser: the first byte picks the format among all registered ones (CSV and
//! line feeds, Shadowserver, and the structured reports: ARF and X-ARF mails, MISP, STIX), the
//! rest is the file, which goes through unpacking first. No input may panic; every event
//! written must read back as itself (write → read → write is stable).

#![no_main]

use cirtkit_pipeline::{Collected, Event, FeedMeta, Limits, ParseContext, formats, ingest, parser_for};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let specs: Vec<_> = formats().collect();
    let spec = specs[usize::from(selector) % specs.len()];
    let options = match spec.format {
        "csv" => serde_json::json!({"columns": ["time.source", "source.ip|source.network", "source.url", "extra.x"]}),
        _ => serde_json::Value::Null,
    };
    let Ok(parser) = parser_for(spec.format, &options) else {
        return;
    };
    let name = if selector & 0x80 != 0 { "2024-01-01-scan_rdp-x.csv" } else { "ssh.txt" };
    let mut ctx = ParseContext::with_feed(FeedMeta::default(), chrono_epoch()).with_file_name(name);
    ctx.limits = Limits { max_line: 4096, max_document: 1 << 16, max_unpacked: 1 << 20, max_ratio: 100, max_container: 1 << 16, max_depth: 2 };
    let mut out = Collected::default();
    let _ = ingest(&*parser, &mut &input[..], &ctx, &mut out);
    for e in &out.events {
        let line = e.to_json_line();
        let back = Event::from_json_str(&line).expect("an event written reads back");
        assert_eq!(back.to_json_line(), line);
    }
});

fn chrono_epoch() -> cirtkit_pipeline::event::Time {
    cirtkit_pipeline::event::Time::UNIX_EPOCH
}
