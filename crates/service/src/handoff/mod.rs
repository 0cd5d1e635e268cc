//! The hand-off of feed events to incidents by rule (`[[handoff]]` in cirtkit.toml): after each
//! feed run, and on `cirtkit handoff run`, each rule takes the events of the feed it has not
//! looked at yet, groups them by owner and classification type, and opens an incident per group
//! or brings the group's open incident up to date.
//!
//! A pass of one rule over one feed is one transaction: its incidents, their observables and
//! journal entries, and the rule's mark (the id of the last event it looked at) are stored
//! together or not at all. A pass that dies leaves nothing, and the next takes the same events;
//! a pass that finds the mark moved (another node, or a second command) drops its work. So no
//! event is handed off twice, and none is skipped.

mod rule;
#[cfg(test)]
mod tests;

pub use rule::{DEFAULT_TITLE, HandoffRule, OwnerMatch, TITLE_PLACEHOLDERS};

use crate::{Principal, Result, ServiceError, Services};
use chrono::{DateTime, Utc};
use cirtkit_domain::{
    Incident, IncidentReference, JournalKind, NewIncident, Observable, OrganisationId, Permission, Rsit, Tlp,
};
use cirtkit_storage::{HandoffScan, OwnerFilter, StoredEvent, WriteTx};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

/// Events read from the store at a time during a pass.
const EVENTS_PER_READ: u32 = 2_000;

/// The event fields whose values become an incident's observables.
const OBSERVABLE_FIELDS: [&str; 3] = ["source.ip", "source.fqdn", "source.url"];

/// What one rule did with one feed's events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HandoffPass {
    pub rule: String,
    pub feed: String,
    /// The events looked at are those with an id above this…
    pub after_id: i64,
    /// …up to this one.
    pub up_to_id: i64,
    /// Events the rule took.
    pub events: u64,
    /// Incidents opened.
    pub opened: Vec<IncidentReference>,
    /// Open incidents that took more events.
    pub updated: Vec<IncidentReference>,
    /// Events of groups too small to open an incident (`min_events`).
    pub below_minimum: u64,
    /// Events of groups beyond the most incidents a pass opens (`max_incidents`).
    pub over_cap: u64,
    /// Observables left out because their incident had `max_observables` already.
    pub observables_left_out: u64,
    /// Events whose observables (some or all) were left out for the same reason, beyond those
    /// counted one by one in `observables_left_out`.
    pub events_left_out: u64,
    /// Why the pass did nothing, when it was not run.
    pub skipped: Option<String>,
    /// Why the pass failed (nothing of it was stored).
    pub error: Option<String>,
    /// Nothing was stored: this is what the pass would do.
    pub dry_run: bool,
}

/// When a pass runs, which says whether the feed's newest events may still be committing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Moment {
    /// Right after a run of the feed, by the same process: every event of it is committed.
    AfterRun,
    /// At any time (`cirtkit handoff run`): a run of the feed may be under way.
    Any,
}

/// One group of events: the same owner and classification type.
#[derive(Debug, Default)]
struct Group {
    taxonomy: Option<String>,
    events: u64,
    first_id: i64,
    last_id: i64,
    /// The strictest `tlp` among its events.
    tlp: Option<Tlp>,
    observables: Vec<Observable>,
    seen: HashSet<Observable>,
    /// Events with an observable that did not fit under the rule's cap.
    crowded_out: u64,
}

type GroupKey = (Option<OrganisationId>, String);

impl Services {
    /// The hand-off after a run of `feed`: every rule that takes this feed, over the events it
    /// has not looked at. Runs by the server itself (`system:handoff:<rule>` in the audit log).
    /// A rule that fails is reported in its pass and does not stop the others.
    pub async fn hand_off_after_run(&self, feed: &str) -> Vec<HandoffPass> {
        let rules: Vec<HandoffRule> = self.settings().handoff.iter().filter(|r| r.takes_feed(feed)).cloned().collect();
        let mut passes = Vec::with_capacity(rules.len());
        for rule in &rules {
            let pass = self.pass_or_error(rule, feed, Moment::AfterRun, false).await;
            log_pass(&pass);
            passes.push(pass);
        }
        passes
    }

    /// `cirtkit handoff run`: every rule (or the one named) over the stored events it has not
    /// looked at, feed by feed. A feed with a file being read is left for the hand-off after
    /// that run. With `dry_run`, nothing is stored: the passes say what would be done.
    pub async fn hand_off(&self, who: &Principal, rule: Option<&str>, dry_run: bool) -> Result<Vec<HandoffPass>> {
        who.require(Permission::EditIncidents)?;
        let rules = &self.settings().handoff;
        let chosen: Vec<&HandoffRule> = match rule {
            Some(name) => {
                let Some(r) = rules.iter().find(|r| r.name == name) else {
                    return Err(ServiceError::Invalid(if rules.is_empty() {
                        format!("no hand-off rule is named {name:?}: none is declared ([[handoff]] in cirtkit.toml)")
                    } else {
                        let names: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();
                        format!("no hand-off rule is named {name:?}; declared: {}", names.join(", "))
                    }));
                };
                vec![r]
            }
            None => rules.iter().collect(),
        };
        let stored_feeds = self.store().feeds_with_files().await?;
        let mut passes = Vec::new();
        for rule in chosen {
            let feeds: Vec<&String> =
                if rule.feeds.is_empty() { stored_feeds.iter().collect() } else { rule.feeds.iter().collect() };
            for feed in feeds {
                let pass = self.pass_or_error(rule, feed, Moment::Any, dry_run).await;
                if !dry_run {
                    log_pass(&pass);
                }
                passes.push(pass);
            }
        }
        Ok(passes)
    }

    async fn pass_or_error(&self, rule: &HandoffRule, feed: &str, moment: Moment, dry_run: bool) -> HandoffPass {
        let mut pass = HandoffPass {
            rule: rule.name.clone(),
            feed: feed.to_owned(),
            after_id: 0,
            up_to_id: 0,
            events: 0,
            opened: Vec::new(),
            updated: Vec::new(),
            below_minimum: 0,
            over_cap: 0,
            observables_left_out: 0,
            events_left_out: 0,
            skipped: None,
            error: None,
            dry_run,
        };
        if let Err(e) = self.pass(rule, feed, moment, &mut pass).await {
            pass.error = Some(e.to_string());
            pass.opened.clear();
            pass.updated.clear();
        }
        pass
    }

    /// One rule over one feed's events after its mark, as one transaction.
    async fn pass(&self, rule: &HandoffRule, feed: &str, moment: Moment, pass: &mut HandoffPass) -> Result<()> {
        let now = self.clock().now();
        let mark = self.store().handoff_mark(&rule.name, feed).await?;
        // Read the bound before looking for a file being read: a run that starts after this
        // line gives its events greater ids than the bound.
        let bound = self.store().last_event_id().await?;
        pass.after_id = mark.unwrap_or(0);
        pass.up_to_id = bound.max(pass.after_id);
        if moment == Moment::Any && self.store().feed_file_open(feed).await? {
            pass.skipped = Some(format!(
                "a file of the feed {feed:?} is being read (or its run stopped part-way): its events are handed off after its run"
            ));
            pass.up_to_id = pass.after_id;
            return Ok(());
        }
        if mark.is_some_and(|m| m >= bound) {
            return Ok(());
        }
        let groups = self.read_groups(rule, feed, mark, bound, now, pass).await?;

        let actor = format!("system:handoff:{}", rule.name);
        let mut tx = self.store().begin(&actor, now).await?;
        if !tx.move_handoff_mark(&rule.name, feed, mark, pass.up_to_id).await? {
            pass.skipped = Some("another hand-off took these events meanwhile".into());
            pass.events = 0;
            return Ok(());
        }
        // The biggest groups first, so that the cap on incidents leaves out the smallest.
        let mut ordered: Vec<(GroupKey, Group)> = groups.into_iter().collect();
        ordered.sort_by(|a, b| b.1.events.cmp(&a.1.events).then_with(|| a.0.cmp(&b.0)));
        let window_start = now - rule.window();
        let mut opened = 0u32;
        for ((organisation, kind), group) in ordered {
            if let Some(incident) = tx.open_handoff_incident(&rule.name, organisation, &kind, window_start).await? {
                let reference = incident.reference.clone();
                pass.observables_left_out +=
                    self.join_incident(&mut tx, rule, feed, &actor, incident, organisation, &group).await?;
                pass.events_left_out += group.crowded_out;
                pass.updated.push(reference);
            } else if group.events < u64::from(rule.min_events) {
                pass.below_minimum += group.events;
            } else if opened >= rule.max_incidents {
                pass.over_cap += group.events;
            } else {
                let (incident, left_out) =
                    self.open_incident(&mut tx, rule, feed, &actor, organisation, &kind, &group).await?;
                pass.observables_left_out += left_out;
                pass.events_left_out += group.crowded_out;
                pass.opened.push(incident.reference);
                opened += 1;
            }
        }
        if pass.events > 0 {
            tx.audit(
                "handoff.run",
                "handoff",
                &rule.name,
                None,
                Some(serde_json::json!({
                    "feed": feed,
                    "after_id": pass.after_id,
                    "up_to_id": pass.up_to_id,
                    "events": pass.events,
                    "opened": pass.opened,
                    "updated": pass.updated,
                    "below_minimum": pass.below_minimum,
                    "over_cap": pass.over_cap,
                    "observables_left_out": pass.observables_left_out,
                    "events_left_out": pass.events_left_out,
                })),
            )
            .await?;
        }
        if !pass.dry_run {
            tx.commit().await?;
        }
        Ok(())
    }

    /// Reads the rule's events of the feed after its mark, up to the bound, into groups.
    async fn read_groups(
        &self,
        rule: &HandoffRule,
        feed: &str,
        mark: Option<i64>,
        bound: i64,
        now: DateTime<Utc>,
        pass: &mut HandoffPass,
    ) -> Result<BTreeMap<GroupKey, Group>> {
        let mut scan = HandoffScan {
            feed: feed.to_owned(),
            after_id: mark.unwrap_or(0),
            up_to_id: bound,
            // A new rule looks back one window, not over the feed's whole history.
            observed_after: if mark.is_none() { Some(now - rule.window()) } else { None },
            taxonomies: rule.taxonomy_names(),
            classification_types: rule.type_names(),
            owner: match rule.organisation {
                OwnerMatch::Required => OwnerFilter::Known,
                OwnerMatch::Any => OwnerFilter::Any,
                OwnerMatch::Unknown => OwnerFilter::Unknown,
            },
            limit: EVENTS_PER_READ,
        };
        let cap = rule.max_observables as usize;
        let mut groups: BTreeMap<GroupKey, Group> = BTreeMap::new();
        loop {
            let events = self.store().handoff_events(&scan).await?;
            let Some(last) = events.last() else { break };
            scan.after_id = last.id;
            let full = events.len() >= EVENTS_PER_READ as usize;
            for e in &events {
                add_event(&mut groups, e, cap)?;
                pass.events += 1;
            }
            if !full {
                break;
            }
        }
        Ok(groups)
    }

    /// Opens the group's incident. Returns it and how many observables were left out.
    #[allow(clippy::too_many_arguments)]
    async fn open_incident(
        &self,
        tx: &mut WriteTx,
        rule: &HandoffRule,
        feed: &str,
        actor: &str,
        organisation: Option<OrganisationId>,
        kind: &str,
        group: &Group,
    ) -> Result<(Incident, u64)> {
        // Events outlive a removed organisation: such an owner is named but not linked.
        let owner = match organisation {
            Some(id) => self.store().organisation(id).await?,
            None => None,
        };
        let owner_name = match (&owner, organisation) {
            (Some(o), _) => o.details.name.clone(),
            (None, Some(id)) => format!("organisation {id} (removed)"),
            (None, None) => "unknown owner".to_owned(),
        };
        let kind_name = if kind.is_empty() { "unclassified" } else { kind };
        let taxonomy = group.taxonomy.clone().unwrap_or_else(|| "unclassified".into());
        let title = rule::render_title(&rule.title, |name| match name {
            "rule" => Some(rule.name.clone()),
            "feed" => Some(feed.to_owned()),
            "type" => Some(kind_name.to_owned()),
            "taxonomy" => Some(taxonomy.clone()),
            "organisation" => Some(owner_name.clone()),
            "count" => Some(group.events.to_string()),
            _ => None,
        })
        .map_err(ServiceError::Invalid)?;
        let rsit = cirtkit_pipeline::ClassificationType::parse(kind)
            .map_or_else(Rsit::undetermined, cirtkit_pipeline::ClassificationType::rsit);
        let description = format!(
            "Opened by the hand-off rule {rule_name} from {n} events of the feed {feed} (classification {kind_name}, \
             taxonomy {taxonomy}; owner: {owner_name}).\n\nLater events of the same owner and classification join \
             this incident for {w} hours from its opening, while it is open.",
            rule_name = rule.name,
            n = group.events,
            w = rule.window_hours,
        );
        let (observables, left_out) = within_cap(&group.observables, rule.max_observables as usize);
        let new = NewIncident {
            title: cut(&title, 300),
            description,
            rsit,
            severity: rule.severity,
            // Never looser than the events it comes from.
            tlp: group.tlp.map_or(rule.tlp, |t| t.max(rule.tlp)),
            pap: rule.pap,
            assignee: None,
            organisations: owner.iter().map(|o| o.id).collect(),
            observables: observables.to_vec(),
        };
        let new = self.checked_new_incident(new).await?;
        let incident = self.insert_incident(tx, &new).await?;
        tx.record_handoff_incident(&incident, &rule.name, organisation, kind).await?;
        let mut body = format!(
            "Opened by the hand-off rule {} from {} events of the feed {feed} (event ids {} to {}).",
            rule.name, group.events, group.first_id, group.last_id
        );
        body.push_str(&left_out_note(rule, group.crowded_out, left_out));
        tx.add_journal_entry(&incident, JournalKind::Comment, actor, &body, None).await?;
        Ok((incident, left_out))
    }

    /// Adds a group's events to the incident the rule opened for it: its new observables (up to
    /// the cap), a stricter TLP if an event has one, and a journal entry. Returns how many
    /// observables were left out.
    #[allow(clippy::too_many_arguments)]
    async fn join_incident(
        &self,
        tx: &mut WriteTx,
        rule: &HandoffRule,
        feed: &str,
        actor: &str,
        incident: Incident,
        organisation: Option<OrganisationId>,
        group: &Group,
    ) -> Result<u64> {
        let mut incident = incident;
        let mut changed = incident.clone();
        if let Some(tlp) = group.tlp
            && tlp > changed.tlp
        {
            changed.tlp = tlp;
        }
        if let Some(org) = organisation
            && !changed.organisations.contains(&org)
            && self.store().organisation(org).await?.is_some()
        {
            changed.organisations.push(org);
            changed.organisations.sort();
        }
        if changed != incident {
            incident = tx.update_incident(&incident, &changed).await?;
        }
        let has = usize::try_from(tx.observable_count(incident.id).await?).unwrap_or(usize::MAX);
        let room = (rule.max_observables as usize).saturating_sub(has);
        let mut added = 0usize;
        let mut left_out = 0u64;
        for o in &group.observables {
            if added >= room {
                left_out += 1;
            } else if tx.add_observable(&incident, o).await?.is_some() {
                added += 1;
            }
        }
        let mut body = format!(
            "{} more events from the feed {feed} (hand-off rule {}, event ids {} to {}): {added} new observables.",
            group.events, rule.name, group.first_id, group.last_id
        );
        body.push_str(&left_out_note(rule, group.crowded_out, left_out));
        tx.add_journal_entry(&incident, JournalKind::Comment, actor, &body, None).await?;
        Ok(left_out)
    }
}

/// Adds one event to its group.
fn add_event(groups: &mut BTreeMap<GroupKey, Group>, e: &StoredEvent, cap: usize) -> Result<()> {
    let v: serde_json::Value = serde_json::from_str(&e.payload)?;
    let field = |key: &str| v.get(key).and_then(serde_json::Value::as_str);
    let kind = field("classification.type")
        .map(|t| cirtkit_pipeline::ClassificationType::parse(t).map_or_else(|| t.to_owned(), |c| c.as_str().to_owned()))
        .unwrap_or_default();
    let group = groups.entry((e.organisation, kind)).or_default();
    if group.events == 0 {
        group.first_id = e.id;
        group.taxonomy = field("classification.taxonomy").map(str::to_owned);
    }
    group.events += 1;
    group.last_id = e.id;
    if let Some(tlp) = field("tlp").and_then(|t| t.parse::<Tlp>().ok()) {
        group.tlp = Some(group.tlp.map_or(tlp, |g| g.max(tlp)));
    }
    let mut crowded = false;
    for key in OBSERVABLE_FIELDS {
        let Some(o) = field(key).and_then(|s| Observable::parse(s).ok()) else { continue };
        if group.seen.contains(&o) {
            continue;
        }
        if group.observables.len() < cap {
            group.seen.insert(o.clone());
            group.observables.push(o);
        } else {
            crowded = true;
        }
    }
    if crowded {
        group.crowded_out += 1;
    }
    Ok(())
}

/// The observables that fit under the cap, and how many did not.
fn within_cap(observables: &[Observable], cap: usize) -> (&[Observable], u64) {
    let n = observables.len().min(cap);
    (&observables[..n], u64::try_from(observables.len() - n).unwrap_or(u64::MAX))
}

/// The journal's note on what the cap left out, or nothing.
fn left_out_note(rule: &HandoffRule, crowded_out: u64, left_out: u64) -> String {
    let what = match (left_out, crowded_out) {
        (0, 0) => return String::new(),
        (n, 0) => format!("{n} observables were left out"),
        (0, e) => format!("the observables of {e} more events were left out"),
        (n, e) => format!("{n} observables, and those of {e} more events, were left out"),
    };
    format!(
        "\n\nThe rule's cap of {} observables per incident is reached: {what} (the events themselves are stored).",
        rule.max_observables
    )
}

fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

fn log_pass(pass: &HandoffPass) {
    if let Some(e) = &pass.error {
        tracing::warn!(rule = %pass.rule, feed = %pass.feed, error = %e, "hand-off failed");
    } else if pass.events > 0 {
        tracing::info!(
            rule = %pass.rule,
            feed = %pass.feed,
            events = pass.events,
            opened = pass.opened.len(),
            updated = pass.updated.len(),
            below_minimum = pass.below_minimum,
            over_cap = pass.over_cap,
            observables_left_out = pass.observables_left_out,
            events_left_out = pass.events_left_out,
            "hand-off"
        );
    }
}
