//! `cirtkit handoff …`: the hand-off of feed events to incidents by the rules of cirtkit.toml
//! (`[[handoff]]`), and the lines `feed run` and `feed ingest` print about it after a run.

use crate::cli::HandoffAction;
use anyhow::Result;
use cirtkit_service::{HandoffPass, Principal, Services};
use std::process::ExitCode;

pub async fn handoff(services: Services, operator: &Principal, action: HandoffAction) -> Result<ExitCode> {
    let HandoffAction::Run { rule, dry_run, json } = action;
    if services.settings().handoff.is_empty() {
        println!("No hand-off rules are declared: add [[handoff]] tables to cirtkit.toml (see docs/configuration.md).");
        return Ok(ExitCode::SUCCESS);
    }
    let passes = services.hand_off(operator, rule.as_deref(), dry_run).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&passes)?);
    } else {
        if dry_run {
            println!("Dry run: nothing was stored.");
        }
        print_passes(&passes, true);
    }
    Ok(if passes.iter().all(|p| p.error.is_none()) { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// One line per pass (with `all`, also the passes that took no event).
pub fn print_passes(passes: &[HandoffPass], all: bool) {
    for p in passes {
        if let Some(e) = &p.error {
            eprintln!("hand-off {} ({}): failed, nothing stored: {e}", p.rule, p.feed);
            continue;
        }
        if let Some(why) = &p.skipped {
            if all {
                println!("hand-off {} ({}): skipped: {why}", p.rule, p.feed);
            }
            continue;
        }
        if p.events == 0 && !all {
            continue;
        }
        let names = |refs: &[cirtkit_domain::IncidentReference]| {
            refs.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        };
        if p.events == 0 {
            println!("hand-off {} ({}): no new events", p.rule, p.feed);
            continue;
        }
        let mut line = format!("hand-off {} ({}): {} events", p.rule, p.feed, p.events);
        if !p.opened.is_empty() {
            line.push_str(&format!("; opened {}", names(&p.opened)));
        }
        if !p.updated.is_empty() {
            line.push_str(&format!("; updated {}", names(&p.updated)));
        }
        if p.below_minimum > 0 {
            line.push_str(&format!("; {} in groups below min_events", p.below_minimum));
        }
        if p.over_cap > 0 {
            line.push_str(&format!("; {} in groups beyond max_incidents, not handed off", p.over_cap));
        }
        if p.observables_left_out > 0 || p.events_left_out > 0 {
            line.push_str(&format!(
                "; observables left out at max_observables: {} (and those of {} events)",
                p.observables_left_out, p.events_left_out
            ));
        }
        println!("{line}");
    }
}
