//! A year of incidents: planned first, whole, from the seeded generator (what happened, to whom,
//! when, who handled it and what they wrote), then played back in time order through the
//! services with the clock set to each moment, so that every record and audit entry carries its
//! historical time.

use crate::constituency::{self, ORGANISATIONS, OrgSpec, THIRD_PARTY_REPORTERS};
use crate::journal::{self, fill};
use crate::scenarios::{
    AMPLIFIERS, EXPOSED_SERVICES, FAMILIES, FileKind, LURE_WORDS, LURES, OUTSIDE_SUFFIXES, Obs, OutsideDomain,
    OutsideUrl, RANSOMWARE, SCENARIOS, Scenario, SitePath, VULNERABILITIES,
};
use crate::{DemoError, choose, parse, pick, start_of_day, weighted};
use chrono::{DateTime, Datelike, Duration, Utc};
use cirtkit_domain::{
    ConstituencyIndex, IncidentId, IncidentState, JournalEntryId, JournalKind, LinkKind, NewIncident, Observable,
    ObservableKind, Organisation, Pap, Partner, Rsit, Severity, Tlp, Transition, User,
};
use cirtkit_service::{Principal, Services};
use ipnet::IpNet;
use rand::Rng;
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// Who does something: an index into the handlers (0 the coordinator, then the analysts).
type Actor = usize;

/// The languages of the demonstration, in the order of [`crate::scenarios::Trilingual`].
const LANGUAGES: [&str; 3] = ["en", "fr", "ar"];

fn language_index(code: &str) -> usize {
    LANGUAGES.iter().position(|l| *l == code).unwrap_or(0)
}

/// One incident as planned.
struct Plan {
    created: DateTime<Utc>,
    /// Its number while planning; once sorted, its position, which orders incidents opened at
    /// the same moment.
    tie: usize,
    scenario: &'static Scenario,
    org: usize,
    lang: usize,
    creator: Actor,
    new: NewIncident,
    /// Observables found later in the handling, to add then.
    later: Vec<Observable>,
    /// The incident it duplicates, by position.
    duplicate_of: Option<usize>,
    /// The malware family its text names, which the analyst's note names again.
    family: &'static str,
}

/// What an incident ends as, when its history is planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Intent {
    New,
    Triage,
    InProgress,
    Waiting,
    Resolved,
    Closed,
    /// Triage finds it is not an incident and closes it.
    NotAnIncident,
    /// Closed, reopened when it came back, and handled again.
    Reopened,
    /// Closed at triage as a duplicate of another.
    Duplicate,
}

/// One thing that happens to an incident after it is opened.
#[derive(Debug, Clone)]
enum Step {
    Move {
        actor: Actor,
        transition: Transition,
    },
    /// `other`: the incident whose reference fills `{other}` in the body.
    Write {
        actor: Actor,
        kind: JournalKind,
        body: String,
        other: Option<usize>,
        reply_to_notice: bool,
        is_notice: bool,
    },
    Attach {
        actor: Actor,
        observable: Observable,
    },
    Link {
        actor: Actor,
        other: usize,
        kind: LinkKind,
    },
}

struct Lifecycle {
    /// The analyst it is assigned to when opened.
    assignee: Option<Actor>,
    steps: Vec<(DateTime<Utc>, Step)>,
    /// Where the steps leave it.
    last: IncidentState,
}

/// Plans and writes the year of incidents; returns how many were opened.
pub(crate) async fn write(
    services: &Services,
    clock: &cirtkit_domain::ManualClock,
    rng: &mut impl Rng,
    now: DateTime<Utc>,
    team: &[User],
    organisations: &[Organisation],
    partners: &[Partner],
) -> Result<usize, DemoError> {
    // The handlers: the coordinator first, then the analysts.
    let mut handlers: Vec<User> =
        team.iter().filter(|u| u.role == cirtkit_domain::Role::Coordinator).cloned().collect();
    handlers.extend(team.iter().filter(|u| u.role == cirtkit_domain::Role::Analyst).cloned());
    if handlers.len() < 2 {
        return Err(cirtkit_service::ServiceError::NotFound("the demonstration's analysts".into()).into());
    }
    let index = services.index();
    let planner = Planner {
        organisations,
        index: &index,
        partners,
        handlers: &handlers,
        now,
        horizon: now - Duration::minutes(2),
    };
    let plans = planner.incidents(rng)?;
    let mut lifecycles = Vec::with_capacity(plans.len());
    for plan in &plans {
        let intent = planner.intent(rng, plan);
        lifecycles.push(planner.lifecycle(rng, plan, intent)?);
    }
    planner.cover_states(rng, &plans, &mut lifecycles)?;
    planner.link(rng, &plans, &mut lifecycles);
    play(services, clock, &handlers, plans, lifecycles).await
}

struct Planner<'a> {
    organisations: &'a [Organisation],
    index: &'a ConstituencyIndex,
    partners: &'a [Partner],
    handlers: &'a [User],
    now: DateTime<Utc>,
    /// Nothing is planned at or after this moment.
    horizon: DateTime<Utc>,
}

/// The catalogue entry of a stored organisation (they were created in catalogue order).
fn spec_of(org: usize) -> Option<&'static OrgSpec> {
    ORGANISATIONS.get(org)
}

impl Planner<'_> {
    /// The incidents, in the order they were opened.
    fn incidents(&self, rng: &mut impl Rng) -> Result<Vec<Plan>, DemoError> {
        let count = rng.gen_range(232..=248);
        let mut times: Vec<DateTime<Utc>> = (0..count).map(|_| self.opening_time(rng)).collect();
        times.sort();

        // Scenarios by weight, then every RSIT class made present by replacing common picks.
        let weights: Vec<u32> = SCENARIOS.iter().map(|s| s.weight).collect();
        let mut picks: Vec<usize> = (0..count).map(|_| weighted(rng, &weights)).collect();
        for class in Rsit::classes() {
            let has = |picks: &[usize]| picks.iter().any(|p| SCENARIOS[*p].rsit.starts_with(&format!("{class}/")));
            if has(&picks) {
                continue;
            }
            let Some(wanted) = SCENARIOS.iter().position(|s| s.rsit.starts_with(&format!("{class}/"))) else {
                continue;
            };
            let common: Vec<usize> = (0..picks.len()).filter(|i| SCENARIOS[picks[*i]].weight >= 10).collect();
            if let Some(at) = choose(rng, &common) {
                picks[*at] = wanted;
            }
        }

        let mut plans = Vec::with_capacity(count + 8);
        for (tie, (created, scenario)) in times.into_iter().zip(picks).enumerate() {
            plans.push(self.incident(rng, tie, created, &SCENARIOS[scenario])?);
        }

        // A few reports arrive twice, through another channel.
        let originals: Vec<usize> = (0..plans.len())
            .filter(|i| plans[*i].created < self.now - Duration::days(5) && plans[*i].scenario.rsit != "test/test")
            .collect();
        let mut chosen = BTreeSet::new();
        for _ in 0..rng.gen_range(5..=8) {
            if let Some(i) = choose(rng, &originals) {
                chosen.insert(*i);
            }
        }
        for original in chosen {
            let tie = plans.len();
            let source = &plans[original];
            let created = source.created + Duration::minutes(rng.gen_range(20..30 * 60));
            let mut copy = self.incident(rng, tie, created, source.scenario)?;
            copy.org = source.org;
            copy.lang = rng.gen_range(0..3);
            copy.new = source.new.clone();
            copy.new.assignee = None;
            copy.new.observables.truncate(1);
            copy.later.clear();
            copy.duplicate_of = Some(source.tie);
            copy.family = source.family;
            plans.push(copy);
        }
        plans.sort_by_key(|p| (p.created, p.tie));
        let position: BTreeMap<usize, usize> = plans.iter().enumerate().map(|(i, p)| (p.tie, i)).collect();
        for p in &mut plans {
            p.duplicate_of = p.duplicate_of.and_then(|t| position.get(&t).copied());
        }
        for (i, p) in plans.iter_mut().enumerate() {
            p.tie = i;
        }
        self.cover_markings(rng, &mut plans);
        Ok(plans)
    }

    /// When an incident is opened: any day of the past year, more often recently, mostly in
    /// office hours, and at least an hour before now.
    fn opening_time(&self, rng: &mut impl Rng) -> DateTime<Utc> {
        // A current wave in the last week keeps the queue of new incidents visible.
        let day = match rng.gen_range(0..100) {
            0..5 => rng.gen_range(0..7),
            5..35 => rng.gen_range(0..365).min(rng.gen_range(0..365)),
            _ => rng.gen_range(0..365),
        };
        let minute = if rng.gen_bool(0.8) { rng.gen_range(7 * 60..19 * 60) } else { rng.gen_range(0..24 * 60) };
        let t = start_of_day(self.now - Duration::days(day))
            + Duration::minutes(minute)
            + Duration::seconds(rng.gen_range(0..60));
        let latest = self.now - Duration::minutes(60);
        if t > latest { latest - Duration::minutes(rng.gen_range(0..600)) } else { t }
    }

    fn incident(
        &self,
        rng: &mut impl Rng,
        tie: usize,
        created: DateTime<Utc>,
        scenario: &'static Scenario,
    ) -> Result<Plan, DemoError> {
        let org = self.affected(rng, scenario);
        let lang = weighted(rng, &[40, 42, 18]);
        let (product, cve) = *pick(rng, VULNERABILITIES);
        let (service, port) = *pick(rng, EXPOSED_SERVICES);
        let family = if scenario.rsit.ends_with("unauthorised-information-modification") && scenario.weight < 5 {
            *pick(rng, RANSOMWARE)
        } else {
            *pick(rng, FAMILIES)
        };
        let organisation = self.organisation(org)?;
        // The catalogue's main domain (the stored list is sorted, so its first may be an alias).
        let domain = spec_of(org)
            .and_then(|s| s.domains.first())
            .map(|d| (*d).to_owned())
            .or_else(|| organisation.details.domains.first().map(|d| d.to_string()))
            .unwrap_or_else(|| "example.org".into());
        let host = format!("{}.{domain}", pick(rng, scenario.hosts));
        let brand = domain.split('.').next().unwrap_or("portail").to_owned();
        let suffix = *pick(rng, OUTSIDE_SUFFIXES);
        let lure_domain = format!("{brand}-{}.{suffix}", pick(rng, LURE_WORDS));
        let c2_domain = format!("{}.{}", pronounceable(rng), pick(rng, OUTSIDE_SUFFIXES));
        let name = self.name_in(org, lang);
        let lure = pick(rng, LURES)[lang];
        let count = rng.gen_range(3..60).to_string();
        let port = port.to_string();
        let values: [(&str, &str); 13] = [
            ("org", &name),
            ("host", &host),
            ("domain", &domain),
            ("family", family),
            ("product", product),
            ("cve", cve),
            ("service", service),
            ("port", &port),
            ("proto", *pick(rng, AMPLIFIERS)),
            ("count", &count),
            ("lure", lure),
            ("ransomware", family),
            ("brand", &brand),
        ];
        let title = fill(scenario.title[lang], &values);
        let description = fill(scenario.description[lang], &values);
        let site = Site { host: &host, domain: &domain, lure_domain: &lure_domain, c2_domain: &c2_domain };

        // The first observable always, the next ones sometimes; one more may turn up later.
        let mut observables = Vec::new();
        let mut later = Vec::new();
        for (i, kind) in scenario.observables.iter().enumerate() {
            let take = i == 0 || (observables.len() < 3 && rng.gen_bool(0.55));
            if let Some(o) = self.observable(rng, *kind, org, &site)? {
                if take {
                    observables.push(o);
                } else if later.is_empty() {
                    later.push(o);
                }
            }
        }
        if observables.is_empty() {
            observables.push(parse_observable(&domain)?);
        }
        // A botnet report often names subscribers of another operator too.
        if scenario.rsit == "malicious-code/infected-system" && rng.gen_bool(0.12) {
            let other = self.affected(rng, scenario);
            if other != org
                && let Some(o) = self.observable(rng, Obs::OrgIpv4, other, &site)?
            {
                observables.truncate(2);
                observables.push(o);
            }
        }
        observables.truncate(3);
        let severity = Severity::ALL[weighted(rng, &scenario.severity).min(3)];
        let tlp = Tlp::ALL[weighted(rng, &scenario.tlp).min(4)];
        let organisation_id = self.organisation(org)?.id;
        Ok(Plan {
            created,
            tie,
            scenario,
            org,
            lang,
            creator: if rng.gen_bool(0.25) { 0 } else { 1 + rng.gen_range(0..self.handlers.len() - 1) },
            new: NewIncident {
                title,
                description,
                rsit: parse(scenario.rsit)?,
                severity,
                tlp,
                pap: pap_for(rng, tlp),
                assignee: None,
                organisations: vec![organisation_id],
                observables,
            },
            later,
            duplicate_of: None,
            family,
        })
    }

    fn organisation(&self, org: usize) -> Result<&Organisation, DemoError> {
        self.organisations
            .get(org)
            .ok_or_else(|| cirtkit_service::ServiceError::NotFound(format!("demonstration organisation {org}")).into())
    }

    /// The organisation's name as it reads in a text of this language.
    fn name_in(&self, org: usize, lang: usize) -> String {
        let spec = spec_of(org);
        match (LANGUAGES[lang], spec.and_then(|s| s.arabic)) {
            ("ar", Some(arabic)) => arabic.to_owned(),
            _ => spec.map(|s| s.name.to_owned()).unwrap_or_default(),
        }
    }

    /// The organisation an incident affects: mostly one of the sectors the scenario hits,
    /// larger organisations more often.
    fn affected(&self, rng: &mut impl Rng, scenario: &Scenario) -> usize {
        let in_sector = |i: usize| {
            scenario.sectors.is_empty()
                || self.organisations.get(i).is_some_and(|o| scenario.sectors.contains(&o.details.sector))
        };
        let use_sectors = rng.gen_bool(0.8);
        let weights: Vec<u32> = (0..self.organisations.len())
            .map(|i| {
                let exposure = spec_of(i).map_or(1, |s| s.size.exposure());
                if !use_sectors || in_sector(i) { exposure } else { 0 }
            })
            .collect();
        weighted(rng, &weights)
    }

    /// One observable of this kind for an incident at this organisation; none when the
    /// organisation has nothing of the kind (no IPv6 block, say).
    fn observable(
        &self,
        rng: &mut impl Rng,
        kind: Obs,
        org: usize,
        site: &Site<'_>,
    ) -> Result<Option<Observable>, DemoError> {
        let organisation = self.organisation(org)?;
        let nets = &organisation.details.netblocks;
        let text = match kind {
            Obs::OrgIpv4 => {
                let v4: Vec<ipnet::Ipv4Net> =
                    nets.iter().filter_map(|n| if let IpNet::V4(n) = n { Some(*n) } else { None }).collect();
                if v4.is_empty() {
                    return Ok(None);
                }
                // An address the constituency lookup gives to this organisation, not to a
                // customer whose block lies inside its own.
                let mut found = None;
                for _ in 0..12 {
                    let Some(block) = choose(rng, &v4) else { break };
                    let size = 1u64 << (32 - u32::from(block.prefix_len()));
                    let offset = if size > 2 { rng.gen_range(1..size - 1) } else { 0 };
                    let addr =
                        Ipv4Addr::from(u32::from(block.network()).wrapping_add(u32::try_from(offset).unwrap_or(0)));
                    let o = parse_observable(&addr.to_string())?;
                    let owner = self.index.lookup(&o).map(|m| m.organisation);
                    found = Some(o);
                    if owner == Some(organisation.id) {
                        break;
                    }
                }
                return Ok(found);
            }
            Obs::OrgIpv6 => {
                let v6: Vec<ipnet::Ipv6Net> =
                    nets.iter().filter_map(|n| if let IpNet::V6(n) = n { Some(*n) } else { None }).collect();
                let Some(block) = choose(rng, &v6) else { return Ok(None) };
                let offset = (u128::from(rng.gen_range(0..256u16)) << 64) | u128::from(rng.gen_range(1..0xffff_u64));
                constituency::v6_host(*block, offset).to_string()
            }
            Obs::OrgCidr => {
                let v4: Vec<&IpNet> = nets.iter().filter(|n| matches!(n, IpNet::V4(_))).collect();
                let Some(net) = choose(rng, &v4) else { return Ok(None) };
                net.to_string()
            }
            Obs::OrgDomain => site.domain.to_owned(),
            Obs::OrgHost => site.host.to_owned(),
            Obs::OrgUrl(path) => {
                let path = match path {
                    SitePath::Home => "/".to_owned(),
                    SitePath::Git => "/.git/config".to_owned(),
                    SitePath::WebShell => format!("/uploads/images/{}.php", hex(rng, 8)),
                    SitePath::Download => {
                        let month = rng.gen_range(1..=12);
                        format!("/wp-content/uploads/{}/{month:02}/{}", self.now.year(), lure_file(rng))
                    }
                    SitePath::Portal => format!("/dossiers/consulter?id={}", rng.gen_range(10_000..99_999)),
                };
                format!("https://{}{path}", site.host)
            }
            Obs::OrgSender => {
                let person = crate::people::person(rng);
                format!("{}@{}", person.mailbox, site.domain)
            }
            Obs::ExtIpv4 => outside_ipv4(rng),
            Obs::ExtAsn => format!("AS{}", rng.gen_range(64_496..=64_511)),
            Obs::ExtDomain(OutsideDomain::Lure) => site.lure_domain.to_owned(),
            Obs::ExtDomain(OutsideDomain::CommandAndControl) => site.c2_domain.to_owned(),
            Obs::ExtDomain(OutsideDomain::MiningPool) => {
                (*pick(rng, &["xmr-pool.example.org", "pool.moneromine.test", "stratum.hashfarm.example.net"]))
                    .to_owned()
            }
            Obs::ExtUrl(OutsideUrl::Phishing) => {
                let path = pick(
                    rng,
                    &["login", "secure/auth.php", "verification/index.html", "client/connexion", "colis/paiement"],
                );
                format!("https://{}/{path}", site.lure_domain)
            }
            Obs::ExtUrl(OutsideUrl::Paste) => format!("https://paste.example.net/{}", hex(rng, 8)),
            Obs::ExtUrl(OutsideUrl::Forum) => format!("https://forum.example.org/t/{}", rng.gen_range(1000..99_999)),
            Obs::ExtUrl(OutsideUrl::Spam) => format!("http://{}/promo/{}", site.c2_domain, rng.gen_range(100..999)),
            Obs::ExtUrl(OutsideUrl::Configuration) => format!("https://{}/gate/cfg.bin", site.c2_domain),
            Obs::ExtSender => {
                format!("{}@{}", pick(rng, &["no-reply", "service-client", "support", "securite"]), site.lure_domain)
            }
            Obs::Sha256 => hex(rng, 64),
            Obs::Md5 => hex(rng, 32),
            Obs::File(kind) => {
                let name = match kind {
                    FileKind::Lure => lure_file(rng),
                    FileKind::RansomNote => {
                        (*pick(rng, &["README_RESTORE_FILES.txt", "!!!_HOW_TO_DECRYPT_!!!.txt", "RECOVER-FILES.html"]))
                            .to_owned()
                    }
                    FileKind::Capture => format!("capture_wifi_invite_{}.pcapng", rng.gen_range(100..999)),
                    FileKind::Tool => {
                        (*pick(rng, &["svchost_update.exe", "procdump64.exe", "rclone.exe", "AnyDesk_setup.exe"]))
                            .to_owned()
                    }
                };
                return Ok(Some(
                    Observable::parse_as(ObservableKind::Filename, &name)
                        .map_err(cirtkit_service::ServiceError::from)?,
                ));
            }
        };
        Ok(Some(parse_observable(&text)?))
    }

    /// Every TLP level and every severity present at least once.
    fn cover_markings(&self, rng: &mut impl Rng, plans: &mut [Plan]) {
        for tlp in Tlp::ALL {
            if plans.iter().any(|p| p.new.tlp == tlp) {
                continue;
            }
            // Taken from the most common level, so that no other level goes missing.
            let Some(common) = Tlp::ALL.into_iter().max_by_key(|l| plans.iter().filter(|p| p.new.tlp == *l).count())
            else {
                continue;
            };
            let candidates: Vec<usize> =
                (0..plans.len()).filter(|i| plans[*i].duplicate_of.is_none() && plans[*i].new.tlp == common).collect();
            if let Some(at) = choose(rng, &candidates) {
                plans[*at].new.tlp = tlp;
                plans[*at].new.pap = pap_for(rng, tlp);
            }
        }
        for severity in Severity::ALL {
            if plans.iter().any(|p| p.new.severity == severity) {
                continue;
            }
            let Some(common) =
                Severity::ALL.into_iter().max_by_key(|l| plans.iter().filter(|p| p.new.severity == *l).count())
            else {
                continue;
            };
            let candidates: Vec<usize> = (0..plans.len())
                .filter(|i| plans[*i].duplicate_of.is_none() && plans[*i].new.severity == common)
                .collect();
            if let Some(at) = choose(rng, &candidates) {
                plans[*at].new.severity = severity;
            }
        }
    }

    /// How far an incident gets: recent ones are mostly open, old ones mostly closed.
    fn intent(&self, rng: &mut impl Rng, plan: &Plan) -> Intent {
        if plan.duplicate_of.is_some() {
            return Intent::Duplicate;
        }
        let age = self.now - plan.created;
        use Intent as I;
        let (intents, weights): (&[Intent], &[u32]) = if age < Duration::days(3) {
            (&[I::New, I::Triage, I::InProgress, I::Waiting, I::Resolved], &[40, 25, 20, 8, 7])
        } else if age < Duration::days(14) {
            (
                &[I::New, I::Triage, I::InProgress, I::Waiting, I::Resolved, I::Closed, I::NotAnIncident],
                &[6, 10, 25, 20, 25, 10, 4],
            )
        } else if age < Duration::days(60) {
            (
                &[I::New, I::Triage, I::InProgress, I::Waiting, I::Resolved, I::Closed, I::NotAnIncident, I::Reopened],
                &[1, 2, 8, 10, 25, 46, 4, 4],
            )
        } else {
            (
                &[I::Triage, I::InProgress, I::Waiting, I::Resolved, I::Closed, I::NotAnIncident, I::Reopened],
                &[1, 2, 3, 7, 78, 4, 5],
            )
        };
        intents.get(weighted(rng, weights)).copied().unwrap_or(I::Closed)
    }

    /// The history of one incident: its moves and journal from opening to where `intent`
    /// leads, cut at the horizon (so that recent incidents are still being handled).
    fn lifecycle(&self, rng: &mut impl Rng, plan: &Plan, intent: Intent) -> Result<Lifecycle, DemoError> {
        let lang = plan.lang;
        let analysts = self.handlers.len() - 1;
        // Who handles it: the analyst it is assigned to, else whoever opened it.
        let handles = !matches!(intent, Intent::New | Intent::Triage | Intent::Duplicate | Intent::NotAnIncident);
        let assignee = if (handles && rng.gen_bool(0.9)) || (!handles && rng.gen_bool(0.25)) {
            Some(1 + rng.gen_range(0..analysts))
        } else {
            None
        };
        let handler = assignee.unwrap_or(plan.creator);
        let pace = match plan.new.severity {
            Severity::Critical => 3,
            Severity::High => 6,
            Severity::Medium => 10,
            Severity::Low => 16,
        };
        // Minutes scaled by the pace: urgent incidents move faster.
        let scaled = |rng: &mut dyn rand::RngCore, lo: i64, hi: i64| {
            Duration::minutes((rng.gen_range(lo..hi) * pace / 10).max(1))
        };
        let mut steps: Vec<(DateTime<Utc>, Step)> = Vec::new();
        let mut entries = 0;
        let mut t = plan.created;
        let title = &plan.new.title;
        let org = self.organisation(plan.org)?;
        let contact = org.details.contacts.first();
        let spec_lang = |code: &str| language_index(code);
        let comment_lang = |rng: &mut dyn rand::RngCore, actor: Actor| {
            if rng.gen_bool(0.6) {
                spec_lang(self.handlers.get(actor).map_or("en", |u| u.language.as_str()))
            } else {
                lang
            }
        };
        let comment = |actor: Actor, body: String| Step::Write {
            actor,
            kind: JournalKind::Comment,
            body,
            other: None,
            reply_to_notice: false,
            is_notice: false,
        };

        // How the report arrived.
        t += Duration::minutes(rng.gen_range(1..15));
        let arrival = match self.source(rng, plan) {
            Source::Feed(feed) => {
                let l = comment_lang(rng, plan.creator);
                comment(plan.creator, fill(journal::OPENED_FROM_FEED[l], &[("feed", feed[l])]))
            }
            Source::Phone => {
                let l = comment_lang(rng, plan.creator);
                let name = contact.map(|c| c.name.as_str()).unwrap_or_default();
                comment(plan.creator, fill(journal::PHONED[l], &[("name", name), ("org", &self.name_in(plan.org, l))]))
            }
            Source::Mail { from, signature } => {
                let body = fill(
                    journal::REPORT[lang],
                    &[
                        ("from", &from),
                        ("cirt", journal::CIRT_ADDRESS),
                        ("title", title),
                        ("description", &plan.new.description),
                        ("signature", &signature),
                    ],
                );
                Step::Write {
                    actor: plan.creator,
                    kind: JournalKind::MailIn,
                    body,
                    other: None,
                    reply_to_notice: false,
                    is_notice: false,
                }
            }
        };
        steps.push((t, arrival));
        entries += 1;
        if intent == Intent::New {
            return Ok(self.cut(steps, assignee));
        }

        // Triage.
        t += scaled(rng, 10, 600);
        let triager = if rng.gen_bool(0.3) { 0 } else { handler };
        steps.push((t, Step::Move { actor: triager, transition: Transition::Triage }));
        match intent {
            Intent::Duplicate => {
                t += Duration::minutes(rng.gen_range(1..6));
                let l = comment_lang(rng, triager);
                steps.push((
                    t,
                    Step::Write {
                        actor: triager,
                        kind: JournalKind::Comment,
                        body: journal::DUPLICATE[l].to_owned(),
                        other: plan.duplicate_of,
                        reply_to_notice: false,
                        is_notice: false,
                    },
                ));
                if let Some(original) = plan.duplicate_of {
                    t += Duration::minutes(1);
                    steps.push((t, Step::Link { actor: triager, other: original, kind: LinkKind::DuplicateOf }));
                }
                t += Duration::minutes(rng.gen_range(2..60));
                steps.push((t, Step::Move { actor: triager, transition: Transition::Close }));
                return Ok(self.cut(steps, assignee));
            }
            Intent::NotAnIncident => {
                t += Duration::minutes(rng.gen_range(2..20));
                let l = comment_lang(rng, triager);
                steps.push((t, comment(triager, journal::NOT_AN_INCIDENT[l].to_owned())));
                t += Duration::minutes(rng.gen_range(1..10));
                steps.push((t, Step::Move { actor: triager, transition: Transition::Close }));
                return Ok(self.cut(steps, assignee));
            }
            _ => {}
        }
        if rng.gen_bool(0.6) {
            t += Duration::minutes(rng.gen_range(2..30));
            let l = comment_lang(rng, triager);
            steps.push((t, comment(triager, pick(rng, journal::TRIAGE_NOTES)[l].to_owned())));
            entries += 1;
        }
        if intent == Intent::Triage {
            return Ok(self.cut(steps, assignee));
        }

        // Handling: the constituent is told, answers, sometimes the team waits for it.
        t += scaled(rng, 5, 240);
        steps.push((t, Step::Move { actor: handler, transition: Transition::Start }));
        let mut noticed = false;
        if let Some(c) = contact
            && rng.gen_bool(0.85)
        {
            t += Duration::minutes(rng.gen_range(5..90));
            let l = spec_lang(c.language.as_str());
            let body = fill(
                journal::NOTICE[l],
                &[
                    ("to", &c.email.to_string()),
                    ("tlp", plan.new.tlp.as_str()),
                    ("title", title),
                    ("rsit", &plan.new.rsit.to_string()),
                    ("signature", journal::CIRT_SIGNATURE[l]),
                ],
            );
            steps.push((
                t,
                Step::Write {
                    actor: handler,
                    kind: JournalKind::MailOut,
                    body,
                    other: None,
                    reply_to_notice: false,
                    is_notice: true,
                },
            ));
            entries += 1;
            noticed = true;
        }
        if let Some(o) = plan.later.first()
            && plan.new.observables.len() < 4
            && rng.gen_bool(0.35)
        {
            t += Duration::minutes(rng.gen_range(30..600));
            steps.push((t, Step::Attach { actor: handler, observable: o.clone() }));
        }
        let reply = |rng: &mut dyn rand::RngCore| -> Option<Step> {
            let c = contact?;
            let l = spec_lang(c.language.as_str());
            let body = fill(
                journal::REPLY[l],
                &[
                    ("from", &c.email.to_string()),
                    ("title", title),
                    ("reply", pick(rng, journal::REPLIES)[l]),
                    ("name", &c.name),
                ],
            );
            Some(Step::Write {
                actor: handler,
                kind: JournalKind::MailIn,
                body,
                other: None,
                reply_to_notice: true,
                is_notice: false,
            })
        };
        let cycles = match intent {
            Intent::Waiting => 1 + usize::from(rng.gen_bool(0.25)),
            Intent::InProgress => usize::from(rng.gen_bool(0.3)),
            _ => usize::from(rng.gen_bool(0.45)),
        };
        let resolve_while_waiting =
            matches!(intent, Intent::Resolved | Intent::Closed) && cycles > 0 && rng.gen_bool(0.25);
        for cycle in 0..cycles {
            t += scaled(rng, 60, 2880);
            steps.push((t, Step::Move { actor: handler, transition: Transition::Wait }));
            let last = cycle + 1 == cycles;
            if intent == Intent::Waiting && last {
                return Ok(self.cut(steps, assignee));
            }
            if noticed && entries < 5 && rng.gen_bool(0.75) {
                t += Duration::minutes(rng.gen_range(120..4320));
                if let Some(step) = reply(rng) {
                    steps.push((t, step));
                    entries += 1;
                }
            } else {
                t += Duration::minutes(rng.gen_range(360..10080));
            }
            if !(last && resolve_while_waiting) {
                t += Duration::minutes(rng.gen_range(30..600));
                steps.push((t, Step::Move { actor: handler, transition: Transition::Resume }));
            }
        }
        if cycles == 0 && noticed && entries < 5 && rng.gen_bool(0.4) {
            t += Duration::minutes(rng.gen_range(60..2880));
            if let Some(step) = reply(rng) {
                steps.push((t, step));
                entries += 1;
            }
        }
        if intent == Intent::InProgress {
            return Ok(self.cut(steps, assignee));
        }

        // Resolution, closure, and for a few a second round.
        t += scaled(rng, 60, 7200);
        if entries < 5 && rng.gen_bool(0.7) {
            let l = comment_lang(rng, handler);
            let body = if rng.gen_bool(0.65) {
                fill(plan.scenario.note[l], &[("family", plan.family)])
            } else {
                pick(rng, journal::RESOLUTIONS)[l].to_owned()
            };
            steps.push((t, comment(handler, body)));
            entries += 1;
            t += Duration::minutes(rng.gen_range(1..30));
        }
        steps.push((t, Step::Move { actor: handler, transition: Transition::Resolve }));
        if intent == Intent::Resolved {
            return Ok(self.cut(steps, assignee));
        }
        t += Duration::minutes(rng.gen_range(1440..20160));
        steps.push((
            t,
            Step::Move { actor: if rng.gen_bool(0.5) { 0 } else { handler }, transition: Transition::Close },
        ));
        if intent == Intent::Reopened {
            t += Duration::minutes(rng.gen_range(4320..43200));
            steps.push((t, Step::Move { actor: handler, transition: Transition::Reopen }));
            if entries < 5 {
                t += Duration::minutes(rng.gen_range(1..10));
                let l = comment_lang(rng, handler);
                steps.push((t, comment(handler, journal::REOPENED[l].to_owned())));
            }
            t += Duration::minutes(rng.gen_range(1440..7200));
            steps.push((t, Step::Move { actor: handler, transition: Transition::Resolve }));
            t += Duration::minutes(rng.gen_range(1440..10080));
            steps.push((t, Step::Move { actor: handler, transition: Transition::Close }));
        }
        Ok(self.cut(steps, assignee))
    }

    /// Drops what would happen at or after the horizon.
    fn cut(&self, mut steps: Vec<(DateTime<Utc>, Step)>, assignee: Option<Actor>) -> Lifecycle {
        let keep = steps.iter().position(|(t, _)| *t >= self.horizon).unwrap_or(steps.len());
        steps.truncate(keep);
        let mut last = IncidentState::New;
        for (_, step) in &steps {
            if let Step::Move { transition, .. } = step {
                last = last.apply(*transition).unwrap_or(last);
            }
        }
        Lifecycle { assignee, steps, last }
    }

    /// How an incident was reported: automated feeds for what sensors see, the constituent
    /// itself for what happens inside its walls, partners and third parties for the rest.
    fn source(&self, rng: &mut impl Rng, plan: &Plan) -> Source {
        let rsit = plan.scenario.rsit;
        let feed = match rsit.split('/').next().unwrap_or_default() {
            "malicious-code" => Some(journal::SINKHOLE),
            "vulnerable" => Some(journal::NATIONAL_SCAN),
            "information-gathering" | "intrusion-attempts"
                if rsit.ends_with("scanner") || rsit.ends_with("brute-force") =>
            {
                Some(journal::HONEYPOTS)
            }
            "abusive-content" if rsit.ends_with("spam") => Some(journal::SPAM_TRAPS),
            "fraud" if rsit.ends_with("phishing") => Some(journal::PHISHING_FEED),
            _ => None,
        };
        let roll = rng.gen_range(0..100);
        if let Some(feed) = feed {
            if roll < 55 {
                return Source::Feed(feed);
            }
            if roll < 60 {
                return Source::Feed(journal::PARTNER_FEED);
            }
            return if roll < 85 { self.partner_mail(rng, plan) } else { self.third_party_mail(rng, plan) };
        }
        if roll < 55 {
            return self.constituent_mail(plan).unwrap_or_else(|| self.third_party_mail(rng, plan));
        }
        if roll < 70 && self.organisation(plan.org).is_ok_and(|o| !o.details.contacts.is_empty()) {
            return Source::Phone;
        }
        if roll < 90 { self.partner_mail(rng, plan) } else { self.third_party_mail(rng, plan) }
    }

    fn partner_mail(&self, rng: &mut impl Rng, plan: &Plan) -> Source {
        match choose(rng, self.partners).and_then(|p| p.details.contacts.first().map(|c| (p, c))) {
            Some((partner, c)) => {
                Source::Mail { from: c.email.to_string(), signature: format!("{}\n{}", c.name, partner.details.name) }
            }
            None => self.constituent_mail(plan).unwrap_or_else(|| self.third_party_mail(rng, plan)),
        }
    }

    fn constituent_mail(&self, plan: &Plan) -> Option<Source> {
        let org = self.organisation(plan.org).ok()?;
        let c = org.details.contacts.first()?;
        Some(Source::Mail { from: c.email.to_string(), signature: format!("{}\n{}", c.name, org.details.name) })
    }

    /// A report from outside the team's partners, from someone who reports this kind of thing.
    fn third_party_mail(&self, rng: &mut impl Rng, plan: &Plan) -> Source {
        let class = plan.scenario.rsit.split('/').next().unwrap_or_default();
        let fitting: Vec<_> = THIRD_PARTY_REPORTERS.iter().filter(|(_, _, classes)| classes.contains(&class)).collect();
        let (from, signature, _) =
            choose(rng, &fitting).map(|r| **r).or(THIRD_PARTY_REPORTERS.first().copied()).unwrap_or(("", "", &[]));
        Source::Mail { from: from.to_owned(), signature: signature.to_owned() }
    }

    /// Every state present at least once: when one is missing, the most recent fitting
    /// incidents are replanned to end there.
    fn cover_states(&self, rng: &mut impl Rng, plans: &[Plan], lifecycles: &mut [Lifecycle]) -> Result<(), DemoError> {
        for (state, intent) in [
            (IncidentState::New, Intent::New),
            (IncidentState::Triage, Intent::Triage),
            (IncidentState::InProgress, Intent::InProgress),
            (IncidentState::Waiting, Intent::Waiting),
            (IncidentState::Resolved, Intent::Resolved),
            (IncidentState::Closed, Intent::Closed),
        ] {
            let min_age = if state == IncidentState::New { Duration::zero() } else { Duration::days(7) };
            let mut tries = 0;
            for i in (0..plans.len()).rev() {
                if lifecycles.iter().any(|l| l.last == state) || tries >= 20 {
                    break;
                }
                let plan = &plans[i];
                let common = lifecycles.iter().filter(|l| l.last == lifecycles[i].last).count() > 1;
                if plan.duplicate_of.is_some() || !common || self.now - plan.created < min_age {
                    continue;
                }
                tries += 1;
                lifecycles[i] = self.lifecycle(rng, plan, intent)?;
            }
        }
        Ok(())
    }

    /// Links incidents of the same campaign: the same kind of incident at the same
    /// organisation, or the same malware family, within a month.
    fn link(&self, rng: &mut impl Rng, plans: &[Plan], lifecycles: &mut [Lifecycle]) {
        let mut linked = BTreeSet::new();
        let mut count = 0;
        for j in 0..plans.len() {
            if count >= 24 || plans[j].duplicate_of.is_some() {
                continue;
            }
            let pj = &plans[j];
            let campaign = matches!(
                pj.scenario.rsit,
                "malicious-code/infected-system"
                    | "fraud/phishing"
                    | "availability/ddos"
                    | "intrusion-attempts/brute-force"
                    | "information-content-security/unauthorised-information-modification"
                    | "information-gathering/scanner"
            );
            if !campaign {
                continue;
            }
            let earlier = (0..j).rev().find(|i| {
                let pi = &plans[*i];
                pi.duplicate_of.is_none()
                    && std::ptr::eq(pi.scenario, pj.scenario)
                    && pj.created - pi.created < Duration::days(30)
                    && (pi.org == pj.org || pi.family == pj.family)
            });
            let Some(i) = earlier else { continue };
            if !rng.gen_bool(0.6) || !linked.insert((j, i)) {
                continue;
            }
            let kind = if pj.scenario.rsit == "fraud/phishing" && rng.gen_bool(0.4) {
                LinkKind::PartOf
            } else {
                LinkKind::Related
            };
            // Linked at triage, or soon after opening when it has not been triaged.
            let lifecycle = &mut lifecycles[j];
            let triaged = lifecycle.steps.iter().find_map(|(t, s)| match s {
                Step::Move { transition: Transition::Triage, actor } => Some((*t, *actor)),
                _ => None,
            });
            let (at, actor) = triaged.unwrap_or((pj.created + Duration::minutes(20), pj.creator));
            let at = at + Duration::seconds(30);
            if at >= self.horizon {
                continue;
            }
            let position = lifecycle.steps.iter().position(|(t, _)| *t > at).unwrap_or(lifecycle.steps.len());
            lifecycle.steps.insert(position, (at, Step::Link { actor, other: i, kind }));
            count += 1;
        }
    }
}

/// How a report reached the team.
enum Source {
    /// An automated report, named in the three languages.
    Feed(crate::scenarios::Trilingual),
    /// A call from the constituent's first contact.
    Phone,
    Mail {
        from: String,
        signature: String,
    },
}

/// The host and domains an incident's observables are built around.
struct Site<'a> {
    host: &'a str,
    domain: &'a str,
    lure_domain: &'a str,
    c2_domain: &'a str,
}

fn parse_observable(text: &str) -> Result<Observable, DemoError> {
    Observable::parse(text).map_err(|e| cirtkit_service::ServiceError::from(e).into())
}

/// The PAP that goes with a TLP: what may be done with the information follows who may see it.
fn pap_for(rng: &mut impl Rng, tlp: Tlp) -> Pap {
    match tlp {
        Tlp::Clear => Pap::Clear,
        Tlp::Green => Pap::Green,
        Tlp::Amber | Tlp::AmberStrict => {
            if rng.gen_bool(0.2) {
                Pap::Green
            } else {
                Pap::Amber
            }
        }
        Tlp::Red => Pap::Red,
    }
}

fn hex(rng: &mut impl Rng, digits: usize) -> String {
    const DIGITS: &[u8] = b"0123456789abcdef";
    (0..digits).map(|_| char::from(DIGITS[rng.gen_range(0..16)])).collect()
}

/// A criminal-looking invented name: `vorakemi`.
fn pronounceable(rng: &mut impl Rng) -> String {
    const SYLLABLES: &[&str] =
        &["vo", "ra", "ke", "mi", "zu", "ta", "lo", "qi", "nex", "dar", "bo", "sil", "cor", "ven"];
    (0..rng.gen_range(3..5)).map(|_| *pick(rng, SYLLABLES)).collect()
}

fn lure_file(rng: &mut impl Rng) -> String {
    let n = rng.gen_range(1000..9999);
    let pattern = *pick(
        rng,
        &["Facture_{n}.pdf.exe", "Commande_{n}.zip", "Scan_{n}.iso", "Avis_de_paiement_{n}.js", "Livraison_{n}.lnk"],
    );
    pattern.replace("{n}", &n.to_string())
}

/// An address outside the constituency, from the documentation ranges.
fn outside_ipv4(rng: &mut impl Rng) -> String {
    let prefix = *pick(rng, &["192.0.2", "198.51.100", "203.0.113"]);
    format!("{prefix}.{}", rng.gen_range(1..255))
}

/// Plays the planned history back through the services, in time order.
async fn play(
    services: &Services,
    clock: &cirtkit_domain::ManualClock,
    handlers: &[User],
    plans: Vec<Plan>,
    lifecycles: Vec<Lifecycle>,
) -> Result<usize, DemoError> {
    enum Event {
        Open(usize),
        Step(usize, Step),
    }
    let mut events: Vec<(DateTime<Utc>, usize, Event)> = Vec::new();
    let mut news: Vec<Option<NewIncident>> = Vec::with_capacity(plans.len());
    let mut creators = Vec::with_capacity(plans.len());
    for (i, (plan, lifecycle)) in plans.into_iter().zip(lifecycles).enumerate() {
        let mut new = plan.new;
        new.assignee = lifecycle.assignee.and_then(|a| handlers.get(a)).map(|u| u.id);
        let seq = events.len();
        events.push((plan.created, seq, Event::Open(i)));
        for (t, step) in lifecycle.steps {
            let seq = events.len();
            events.push((t, seq, Event::Step(i, step)));
        }
        news.push(Some(new));
        creators.push(plan.creator);
    }
    events.sort_by_key(|(t, seq, _)| (*t, *seq));

    let principal = |actor: Actor| handlers.get(actor).or(handlers.first()).cloned().map(Principal::User);
    let mut ids: Vec<Option<(IncidentId, String)>> = vec![None; news.len()];
    let mut notices: BTreeMap<usize, JournalEntryId> = BTreeMap::new();
    let mut opened = 0;
    for (at, _, event) in events {
        clock.set(at);
        match event {
            Event::Open(i) => {
                let (Some(new), Some(who)) = (news.get_mut(i).and_then(Option::take), principal(creators[i])) else {
                    continue;
                };
                let incident = services.create_incident(&who, new).await?;
                ids[i] = Some((incident.id, incident.reference.to_string()));
                opened += 1;
            }
            Event::Step(i, step) => {
                let Some((id, reference)) = ids[i].clone() else { continue };
                match step {
                    Step::Move { actor, transition } => {
                        let Some(who) = principal(actor) else { continue };
                        services.transition(&who, id, transition).await?;
                    }
                    Step::Write { actor, kind, body, other, reply_to_notice, is_notice } => {
                        let Some(who) = principal(actor) else { continue };
                        let other =
                            other.and_then(|o| ids.get(o).cloned().flatten()).map(|(_, r)| r).unwrap_or_default();
                        let body = fill(&body, &[("ref", &reference), ("other", &other)]);
                        let reply_to = if reply_to_notice { notices.get(&i).copied() } else { None };
                        let entry = services.add_journal_entry(&who, id, kind, &body, reply_to).await?;
                        if is_notice {
                            notices.insert(i, entry.id);
                        }
                    }
                    Step::Attach { actor, observable } => {
                        let Some(who) = principal(actor) else { continue };
                        services.add_observable(&who, id, &observable).await?;
                    }
                    Step::Link { actor, other, kind } => {
                        let (Some(who), Some(Some((to, _)))) = (principal(actor), ids.get(other)) else { continue };
                        services.link_incidents(&who, id, *to, kind).await?;
                    }
                }
            }
        }
    }
    Ok(opened)
}
