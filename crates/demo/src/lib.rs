//! The demonstration national CIRT behind `cirtkit demo`: a Tunisian constituency of invented
//! organisations, partner CIRTs abroad, a team in every role and a year of incident history,
//! all written through the services, so that the audit log holds every step exactly as if
//! people had done it.
//!
//! The data depend only on the seed and on `now`: the same pair gives the same organisations,
//! incidents, journals and audit records, in the same order. The generator draws every choice
//! from one seeded random generator, iterates only over ordered collections, and moves a
//! [`ManualClock`] through the past year so that each record carries its historical time and the
//! audit chain's times only increase.

mod constituency;
mod history;
mod journal;
mod people;
mod scenarios;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Duration, NaiveTime, Utc};
use cirtkit_domain::{Language, ManualClock, ParseError, Role, User, UserName};
use cirtkit_service::{NewUser, Principal, ServiceError, Services};
use rand::{Rng, SeedableRng, rngs::StdRng};
use std::str::FromStr;

/// What the demonstration is seeded from.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The same seed (with the same `now`) gives the same demonstration.
    pub seed: u64,
    /// The end of the year of history: the last record is written just before it.
    pub now: DateTime<Utc>,
    /// The administrator's password; a random one is generated when none is given.
    pub admin_password: Option<String>,
}

/// An account the demonstration created, with its password, to be shown once.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub name: String,
    /// The role's name: admin, coordinator, analyst, auditor or constituent.
    pub role: String,
    pub password: String,
}

/// What the demonstration holds.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub accounts: Vec<DemoAccount>,
    pub organisations: usize,
    pub incidents: usize,
    pub partners: usize,
}

#[derive(thiserror::Error, Debug)]
pub enum DemoError {
    #[error("the data directory is not empty: the demonstration needs a fresh one ({0})")]
    NotEmpty(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

/// The name of the local operator who creates the administrator, as the audit log shows it
/// (`cli:cirtkit-demo`).
const OPERATOR: &str = "cirtkit-demo";

/// Seeds the demonstration into an empty store.
///
/// `services` must have been built with `clock` (a ManualClock) as its clock; the seeder moves
/// the clock through the past year so that history has real dates, and leaves it at
/// `options.now`.
///
/// Passwords are the one thing the seed does not decide: each account gets a fresh random one
/// from [`cirtkit_service::generate_password`] (unless `options.admin_password` is given for
/// the administrator). The default seed is public, so passwords derived from it would let
/// anyone into a demonstration reachable on a network. Everything else (organisations,
/// incidents, journals, links, times) is the same for the same seed and `now`.
pub async fn seed(services: &Services, clock: &ManualClock, options: &DemoOptions) -> Result<DemoSummary, DemoError> {
    let counts = services.status().await?.counts;
    if counts.organisations + counts.incidents + counts.partners + counts.users > 0 {
        return Err(DemoError::NotEmpty(format!(
            "it holds {} organisations, {} incidents, {} partners and {} users",
            counts.organisations, counts.incidents, counts.partners, counts.users
        )));
    }
    let mut rng = StdRng::seed_from_u64(options.seed);
    let now = options.now;
    let mut at = start_of_day(now - Duration::days(372)) + Duration::minutes(8 * 60 + 30);
    let mut accounts = Vec::new();

    // The operator creates the administrator, who creates the team.
    clock.set(at);
    let admin_password = options.admin_password.clone().unwrap_or_else(cirtkit_service::generate_password);
    let operator = Principal::Operator(OPERATOR.into());
    let admin = services
        .create_user(&operator, new_user("admin", "Platform administrator", "en", Role::Admin, &admin_password)?)
        .await?;
    accounts.push(DemoAccount {
        name: admin.name.to_string(),
        role: admin.role.name().into(),
        password: admin_password,
    });
    let admin = Principal::User(admin);
    let mut team: Vec<User> = Vec::new();
    for member in people::TEAM {
        at += Duration::minutes(rng.gen_range(3..12));
        clock.set(at);
        let role = match member.role {
            people::TeamRole::Coordinator => Role::Coordinator,
            people::TeamRole::Analyst => Role::Analyst,
            people::TeamRole::Auditor => Role::Auditor,
        };
        let password = cirtkit_service::generate_password();
        let user = services
            .create_user(&admin, new_user(member.name, member.display_name, member.language, role, &password)?)
            .await?;
        accounts.push(DemoAccount { name: user.name.to_string(), role: role.name().into(), password });
        team.push(user);
    }
    let coordinator = team
        .iter()
        .find(|u| u.role == Role::Coordinator)
        .cloned()
        .map(Principal::User)
        .ok_or_else(|| ServiceError::NotFound("the demonstration's coordinator".into()))?;

    // The coordinator registers the partner CIRTs, then the constituency over the next days.
    let partners = constituency::partners()?;
    let partner_count = partners.len();
    let mut created_partners = Vec::new();
    at += Duration::hours(2);
    for partner in partners {
        at += Duration::minutes(rng.gen_range(10..30));
        clock.set(at);
        created_partners.push(services.create_partner(&coordinator, partner).await?);
    }
    let mut alloc = constituency::Allocator::new(&mut rng);
    let mut organisations = Vec::new();
    at = start_of_day(at + Duration::days(1)) + Duration::hours(9);
    for spec in constituency::ORGANISATIONS {
        at += Duration::minutes(rng.gen_range(12..40));
        if at.time() >= NaiveTime::from_hms_opt(17, 0, 0).unwrap_or(NaiveTime::MIN) {
            at = start_of_day(at + Duration::days(1)) + Duration::hours(9) + Duration::minutes(rng.gen_range(0..30));
        }
        clock.set(at);
        let new = constituency::organisation(&mut rng, &mut alloc, spec)?;
        organisations.push(services.create_organisation(&coordinator, new).await?);
    }

    // The administrator opens an account for the bank's security officer.
    let bank = organisations
        .iter()
        .find(|o| o.details.name == constituency::CONSTITUENT_ORGANISATION)
        .ok_or_else(|| ServiceError::NotFound("the demonstration's constituent organisation".into()))?;
    at += Duration::minutes(rng.gen_range(30..90));
    clock.set(at);
    let (name, display, language) = people::CONSTITUENT;
    let password = cirtkit_service::generate_password();
    let constituent =
        services.create_user(&admin, new_user(name, display, language, Role::Constituent(bank.id), &password)?).await?;
    accounts.push(DemoAccount { name: constituent.name.to_string(), role: "constituent".into(), password });

    let incidents = history::write(services, clock, &mut rng, now, &team, &organisations, &created_partners).await?;
    clock.set(now);
    Ok(DemoSummary { accounts, organisations: organisations.len(), incidents, partners: partner_count })
}

fn new_user(name: &str, display_name: &str, language: &str, role: Role, password: &str) -> Result<NewUser, DemoError> {
    let name: UserName = parse(name)?;
    let email = parse(&format!("{}@cirt.tn.example", name))?;
    Ok(NewUser {
        name,
        display_name: display_name.into(),
        email: Some(email),
        role,
        language: parse::<Language>(language)?,
        password: Some(password.into()),
    })
}

/// Reads a value of a domain type; the demonstration's own data always parse, but a mistake
/// in them is reported, not a panic.
pub(crate) fn parse<T: FromStr<Err = ParseError>>(text: &str) -> Result<T, DemoError> {
    text.parse::<T>().map_err(|e| DemoError::Service(ServiceError::from(e)))
}

/// One element of a constant list, uniformly. The catalogue's lists are never empty; lists
/// built at run time go through [`choose`].
pub(crate) fn pick<'a, T, R: Rng + ?Sized>(rng: &mut R, items: &'a [T]) -> &'a T {
    let i = rng.gen_range(0..items.len().max(1));
    &items[i.min(items.len().saturating_sub(1))]
}

/// One element of a list, uniformly, or none when it is empty.
pub(crate) fn choose<'a, T, R: Rng + ?Sized>(rng: &mut R, items: &'a [T]) -> Option<&'a T> {
    if items.is_empty() { None } else { items.get(rng.gen_range(0..items.len())) }
}

/// An index drawn with the given weights (the first when all are zero).
pub(crate) fn weighted<R: Rng + ?Sized>(rng: &mut R, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    if total == 0 {
        return 0;
    }
    let mut x = rng.gen_range(0..total);
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    0
}

pub(crate) fn start_of_day(t: DateTime<Utc>) -> DateTime<Utc> {
    t.date_naive().and_time(NaiveTime::MIN).and_utc()
}
