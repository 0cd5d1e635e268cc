//! The `rsit` expert: drops events that carry no RSIT classification (neither a type nor a
//! taxonomy), so that every stored event can be counted and routed by the taxonomy.

use super::{Expert, ExpertResources, ExpertSpec, Verdict};
use crate::error::PipelineError;
use crate::event::Event;
use serde::Deserialize;

pub(crate) static SPECS: &[ExpertSpec] = &[ExpertSpec {
    name: "rsit",
    description: "drops events without an RSIT classification (neither classification.type nor taxonomy)",
    build: build_rsit,
}];

/// The expert takes no options; an empty table (or none) is accepted, any key refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RsitOptions {}

/// Drops unclassified events.
#[derive(Debug, Default)]
pub struct RsitCheck;

fn build_rsit(options: &serde_json::Value, _: &ExpertResources) -> Result<Box<dyn Expert>, PipelineError> {
    let _: RsitOptions = super::options("rsit", options)?;
    Ok(Box::new(RsitCheck))
}

impl Expert for RsitCheck {
    fn name(&self) -> &'static str {
        "rsit"
    }

    fn process(&mut self, event: &mut Event) -> Verdict {
        if event.rsit().is_some() {
            Verdict::Keep
        } else {
            Verdict::drop("expert.unclassified", "the event has no RSIT classification")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Field;

    #[test]
    fn unclassified_events_are_dropped() {
        let mut e = Event::default();
        assert!(matches!(RsitCheck.process(&mut e), Verdict::Drop(r) if r.code == "expert.unclassified"));
        e.add(Field::ClassificationType, "scanner").unwrap();
        assert_eq!(RsitCheck.process(&mut e), Verdict::Keep);
        let clock = std::sync::Arc::new(cirtkit_domain::ManualClock::new(chrono::DateTime::UNIX_EPOCH));
        let res = ExpertResources::new(clock);
        assert!(build_rsit(&serde_json::json!({}), &res).is_ok());
        assert_eq!(build_rsit(&serde_json::json!({"x": 1}), &res).err().unwrap().code(), "pipeline.expert_config");
    }
}
