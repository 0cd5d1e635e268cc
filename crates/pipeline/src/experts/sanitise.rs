//! The `sanitise` expert: refuses values that sanitation cannot catch field by field because
//! they are impossible only in context (a source time in the future, a placeholder date of 1970,
//! coordinates off the globe), sets `time.observation` when a parser left it out, and completes
//! the RSIT classification as IntelMQ's taxonomy expert does: `classification.taxonomy` from
//! `classification.type` when absent, and `classification.type` `undetermined` when there is
//! no classification at all. (Ports above 65535, AS 0 and malformed addresses cannot reach an event at all.)

use super::{Expert, ExpertResources, ExpertSpec, Verdict};
use crate::error::PipelineError;
use crate::event::{ClassificationType, Event, Field, Value};
use chrono::{DateTime, Duration, Utc};
use cirtkit_domain::Clock;
use serde::Deserialize;
use std::sync::Arc;

pub(crate) static SPECS: &[ExpertSpec] = &[ExpertSpec {
    name: "sanitise",
    description: "refuses impossible times and coordinates; completes time.observation and the classification",
    build: build_sanitise,
}];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum OnInvalid {
    /// Drop the event.
    #[default]
    Drop,
    /// Remove the impossible value and keep the event.
    Remove,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct SanitiseOptions {
    /// How far `time.source` may be ahead of the clock (clock skew), in seconds; default 600.
    future_tolerance_seconds: u64,
    /// `time.source` before this is a placeholder, not a time (default `1990-01-01T00:00:00Z`).
    oldest: DateTime<Utc>,
    on_invalid: OnInvalid,
    /// Set `classification.type` to `undetermined` when absent (default true).
    fill_type: bool,
}

impl Default for SanitiseOptions {
    fn default() -> Self {
        Self {
            future_tolerance_seconds: 600,
            oldest: DateTime::from_timestamp(631_152_000, 0).unwrap_or(DateTime::UNIX_EPOCH),
            on_invalid: OnInvalid::Drop,
            fill_type: true,
        }
    }
}

/// Refuses impossible values and completes the classification.
pub struct SanitiserExpert {
    clock: Arc<dyn Clock>,
    tolerance: Duration,
    oldest: DateTime<Utc>,
    on_invalid: OnInvalid,
    fill_type: bool,
}

impl std::fmt::Debug for SanitiserExpert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SanitiserExpert").field("tolerance", &self.tolerance).field("oldest", &self.oldest).finish()
    }
}

fn build_sanitise(options: &serde_json::Value, resources: &ExpertResources) -> Result<Box<dyn Expert>, PipelineError> {
    let o: SanitiseOptions = super::options("sanitise", options)?;
    let seconds = i64::try_from(o.future_tolerance_seconds)
        .ok()
        .filter(|s| *s <= 366 * 86_400)
        .ok_or_else(|| super::config("sanitise", "future_tolerance_seconds is at most 31622400 (366 days)"))?;
    Ok(Box::new(SanitiserExpert {
        clock: resources.clock.clone(),
        tolerance: Duration::seconds(seconds),
        oldest: o.oldest,
        on_invalid: o.on_invalid,
        fill_type: o.fill_type,
    }))
}

const COORDINATES: [(Field, Field); 2] = [
    (Field::SourceGeolocationLatitude, Field::SourceGeolocationLongitude),
    (Field::DestinationGeolocationLatitude, Field::DestinationGeolocationLongitude),
];

impl SanitiserExpert {
    /// Ten minutes of tolerance, placeholders before 1990, drop on impossible values.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        let o = SanitiseOptions::default();
        Self {
            clock,
            tolerance: Duration::seconds(600),
            oldest: o.oldest,
            on_invalid: o.on_invalid,
            fill_type: o.fill_type,
        }
    }

    /// Drops, or removes the fields and goes on.
    fn refuse(&self, event: &mut Event, fields: &[Field], code: &'static str, message: String) -> Option<Verdict> {
        match self.on_invalid {
            OnInvalid::Drop => Some(Verdict::drop(code, message)),
            OnInvalid::Remove => {
                for f in fields {
                    event.remove(*f);
                }
                None
            }
        }
    }
}

fn float(event: &Event, f: Field) -> Option<f64> {
    match event.get(f) {
        Some(Value::Float(x)) => Some(x),
        _ => None,
    }
}

impl Expert for SanitiserExpert {
    fn name(&self) -> &'static str {
        "sanitise"
    }

    fn process(&mut self, event: &mut Event) -> Verdict {
        // Read the clock once, and only when the event needs it.
        let mut cached: Option<DateTime<Utc>> = None;
        let clock = &self.clock;
        let mut now = || *cached.get_or_insert_with(|| clock.now());
        if let Some(at) = event.time_source() {
            let latest = now() + self.tolerance;
            if at > latest {
                let message = format!("time.source {at} is after the clock's {latest}");
                if let Some(v) = self.refuse(event, &[Field::TimeSource], "expert.time_future", message) {
                    return v;
                }
            } else if at < self.oldest {
                let message = format!("time.source {at} is before {}: a placeholder, not a time", self.oldest);
                if let Some(v) = self.refuse(event, &[Field::TimeSource], "expert.time_past", message) {
                    return v;
                }
            }
        }
        if event.time_observation().is_none() {
            let _ = event.set(Field::TimeObservation, Value::Time(now()));
        }
        for (lat_field, lon_field) in COORDINATES {
            let (lat, lon) = (float(event, lat_field), float(event, lon_field));
            let bad = lat.is_some_and(|x| !(-90.0..=90.0).contains(&x))
                || lon.is_some_and(|x| !(-180.0..=180.0).contains(&x))
                || lat.is_some() != lon.is_some();
            if bad {
                let message = format!("{} and {} are not a place on Earth", lat_field.name(), lon_field.name());
                if let Some(v) = self.refuse(event, &[lat_field, lon_field], "expert.coordinates", message) {
                    return v;
                }
            }
        }
        match (event.classification_type(), event.taxonomy()) {
            (Some(t), None) => {
                let _ = event.set(Field::ClassificationTaxonomy, Value::Taxonomy(t.taxonomy()));
            }
            // A taxonomy alone already gives its class's `undetermined` (`Event::rsit`).
            (None, None) if self.fill_type => {
                event.classify(ClassificationType::Undetermined);
            }
            _ => {}
        }
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cirtkit_domain::ManualClock;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap()
    }

    fn expert(options: serde_json::Value) -> Box<dyn Expert> {
        let res = ExpertResources::new(Arc::new(ManualClock::new(now())));
        build_sanitise(&options, &res).unwrap()
    }

    fn with_time(offset_seconds: i64) -> Event {
        let mut e = Event::default();
        e.set(Field::TimeSource, Value::Time(now() + Duration::seconds(offset_seconds))).unwrap();
        e
    }

    #[test]
    fn times_in_the_future_or_placeholders_are_refused() {
        let mut x = expert(serde_json::Value::Null);
        assert_eq!(x.process(&mut with_time(599)), Verdict::Keep);
        assert!(matches!(x.process(&mut with_time(601)), Verdict::Drop(r) if r.code == "expert.time_future"));
        let mut epoch = Event::default();
        epoch.add(Field::TimeSource, "1970-01-01T00:00:00Z").unwrap();
        assert!(matches!(x.process(&mut epoch.clone()), Verdict::Drop(r) if r.code == "expert.time_past"));
        let mut lenient = expert(serde_json::json!({"on_invalid": "remove", "future_tolerance_seconds": 0}));
        let mut e = with_time(1);
        assert_eq!(lenient.process(&mut e), Verdict::Keep);
        assert_eq!(e.time_source(), None);
        assert_eq!(e.time_observation(), Some(now()), "observation set from the clock");
    }

    #[test]
    fn coordinates_must_be_on_earth_and_in_pairs() {
        let mut x = expert(serde_json::Value::Null);
        let mut e = Event::default();
        e.add(Field::SourceGeolocationLatitude, "48.2").unwrap();
        e.add(Field::SourceGeolocationLongitude, "16.3").unwrap();
        assert_eq!(x.process(&mut e), Verdict::Keep);
        e.add(Field::SourceGeolocationLatitude, "91").unwrap();
        assert!(matches!(x.process(&mut e.clone()), Verdict::Drop(r) if r.code == "expert.coordinates"));
        e.remove(Field::SourceGeolocationLatitude);
        let mut remove = expert(serde_json::json!({"on_invalid": "remove"}));
        assert_eq!(remove.process(&mut e), Verdict::Keep);
        assert_eq!(e.get(Field::SourceGeolocationLongitude), None, "a lone longitude is removed");
    }

    #[test]
    fn classification_is_completed() {
        let mut x = expert(serde_json::Value::Null);
        let mut e = Event::default();
        e.set(Field::ClassificationType, Value::Type(ClassificationType::Phishing)).unwrap();
        x.process(&mut e);
        assert_eq!(e.taxonomy(), Some(crate::Taxonomy::Fraud));
        let mut bare = Event::default();
        x.process(&mut bare);
        assert_eq!(bare.rsit().unwrap().to_string(), "other/undetermined");
        let mut tax_only = Event::default();
        tax_only.add(Field::ClassificationTaxonomy, "vulnerable").unwrap();
        x.process(&mut tax_only);
        assert_eq!(tax_only.taxonomy(), Some(crate::Taxonomy::Vulnerable), "kept as written");
        assert_eq!(tax_only.classification_type(), None);
    }
}
