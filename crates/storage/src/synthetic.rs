//! Synthetic incidents for measuring: a deterministic generator and a bulk loader that fills an
//! empty store with organisations, users, incidents, their observables and journals, fast.
//!
//! It writes raw, batched SQL in large transactions and bypasses the services on purpose: no
//! audit records, no SLA computation, no reference counters. Such a store is for benchmarks
//! (`cirtkit bench api`, the storage crate's measurement test), never for work, which is why the
//! loader refuses a store that already holds anything.

use crate::search::{Bind, Sql, ip_range};
use crate::{Result, StorageError, Store};
use chrono::{DateTime, Duration, TimeZone, Utc};
use cirtkit_domain::{IncidentState, Observable, Rsit, Severity, Tlp};
use std::time::Instant;

/// What to generate. The same spec always gives the same data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntheticSpec {
    pub incidents: i64,
    pub journal_per_incident: i64,
    pub organisations: i64,
    pub users: i64,
    /// The generator's seed (must not be zero: xorshift would stay at zero).
    pub seed: u64,
}

impl Default for SyntheticSpec {
    fn default() -> Self {
        SyntheticSpec {
            incidents: 100_000,
            journal_per_incident: 10,
            organisations: 1_000,
            users: 20,
            seed: 0x9e37_79b9_7f4a_7c15,
        }
    }
}

/// What was loaded. Incident ids run from 1 to `incidents`, organisation ids from 1 to
/// `organisations`.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticReport {
    pub organisations: i64,
    pub users: i64,
    pub incidents: i64,
    pub observables: i64,
    pub journal_entries: i64,
    pub elapsed: std::time::Duration,
}

/// Words mixed into the generated text, in three scripts. Each text word is one of these with a
/// chance of 1 in 4 (so each is common: about 2 per incident with 10 journal entries), otherwise
/// `w0` to `w19999` (rare: a given one is in about 0.8 % of incidents).
pub const SYNTHETIC_WORDS: &[&str] = &[
    "botnet",
    "phishing",
    "serveur",
    "compromis",
    "équipe",
    "malware",
    "ransomware",
    "scan",
    "défacement",
    "credential",
    "leak",
    "ddos",
    "amplification",
    "sinkhole",
    "drone",
    "exploit",
    "webshell",
    "vulnérabilité",
    "برمجية",
    "خبيثة",
    "الخادم",
    "اختراق",
    "تصيد",
    "rapport",
    "partner",
    "customer",
    "ministère",
    "banque",
];

/// A small deterministic generator (xorshift), so that every run loads the same data.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len() as u64) as usize)
    }
}

fn text(d: &mut Dice, words: usize) -> String {
    (0..words)
        .map(|_| {
            if d.below(4) == 0 {
                d.pick(SYNTHETIC_WORDS).copied().unwrap_or("rapport").to_owned()
            } else {
                format!("w{}", d.below(20_000))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// One multi-row INSERT: its SQL and its binds.
struct Insert {
    sql: String,
    binds: Vec<Bind>,
}

/// Incidents per transaction: large enough that commits do not dominate.
const INCIDENTS_PER_TRANSACTION: i64 = 2_000;
/// Rows per INSERT statement, below SQLite's and PostgreSQL's bind-parameter limits.
const ROWS_PER_INSERT: usize = 500;

impl Store {
    fn insert(&self, head: &str, rows: Vec<Vec<Bind>>) -> Vec<Insert> {
        // Ids are given, as in a restore; PostgreSQL's identity columns must be told.
        let overriding = if self.is_sqlite() || !head.contains("(id,") { "" } else { " OVERRIDING SYSTEM VALUE" };
        let mut out = vec![];
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let mut sql = Sql::default();
            let mut text = format!("{head}{overriding} VALUES ");
            for (n, row) in rows.by_ref().take(ROWS_PER_INSERT).enumerate() {
                let list = sql.bind_list(row);
                text.push_str(if n == 0 { "(" } else { ", (" });
                text.push_str(&list);
                text.push(')');
            }
            out.push(Insert { sql: text, binds: sql.binds });
        }
        out
    }

    /// Runs the inserts in one transaction.
    async fn run_in_transaction(&self, inserts: Vec<Insert>) -> Result<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for insert in &inserts {
                bind_all!(sqlx::query(&insert.sql), &insert.binds).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Fills an empty, migrated store with synthetic data as `spec` says, then refreshes the
    /// planner's statistics. `progress` is told how many incidents are loaded so far.
    ///
    /// Refuses (with [`StorageError::Conflict`]) a store that holds any organisation, user or
    /// incident: synthetic data must never mix with real data.
    pub async fn load_synthetic_incidents(
        &self,
        spec: &SyntheticSpec,
        progress: &mut (dyn FnMut(i64) + Send),
    ) -> Result<SyntheticReport> {
        let counts = self.counts().await?;
        if counts.incidents + counts.organisations + counts.users > 0 {
            return Err(StorageError::Conflict(format!(
                "synthetic data goes only into an empty database, and this one holds {} incidents, {} \
                 organisations and {} users",
                counts.incidents, counts.organisations, counts.users
            )));
        }
        let start = Instant::now();
        let t0: DateTime<Utc> = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single().unwrap_or_default();
        let mut d = Dice(if spec.seed == 0 { 1 } else { spec.seed });
        let organisations = spec.organisations.max(1);
        let users = spec.users.max(1);

        let rows = (1..=organisations)
            .map(|o| {
                vec![
                    Bind::Int(o),
                    Bind::Text(format!("Organisation {o}")),
                    Bind::Text("isp".into()),
                    Bind::Text("TN".into()),
                    Bind::Text("[\"ar\"]".into()),
                    Bind::Time(t0),
                    Bind::Time(t0),
                ]
            })
            .collect();
        let mut inserts = self
            .insert("INSERT INTO organisations (id, name, sector, country, languages, created_at, updated_at)", rows);
        let rows = (1..=users)
            .map(|u| {
                vec![
                    Bind::Int(u),
                    Bind::Text(format!("analyst{u}")),
                    Bind::Text(format!("Analyst {u}")),
                    Bind::Text("analyst".into()),
                    Bind::Text("fr".into()),
                    Bind::Time(t0),
                    Bind::Time(t0),
                ]
            })
            .collect();
        inserts.extend(
            self.insert("INSERT INTO users (id, name, display_name, role, language, created_at, updated_at)", rows),
        );
        self.run_in_transaction(inserts).await?;

        let rsits: Vec<Rsit> = Rsit::all().collect();
        let (mut observable_count, mut journal_count) = (0, 0);
        let mut first = 1;
        while first <= spec.incidents {
            let last = (first + INCIDENTS_PER_TRANSACTION - 1).min(spec.incidents);
            let (mut incidents, mut links, mut observables, mut journal) = (vec![], vec![], vec![], vec![]);
            for id in first..=last {
                // About 3 incidents an hour over three years, ids in creation order.
                let created = t0 + Duration::seconds(id * 1_000);
                let updated = created + Duration::seconds(d.below(30 * 86_400) as i64);
                let state = d.pick(&IncidentState::ALL).copied().unwrap_or(IncidentState::New);
                let severity = d.pick(&Severity::ALL).copied().unwrap_or(Severity::Medium);
                let tlp = d.pick(&Tlp::ALL).copied().unwrap_or(Tlp::Amber);
                let assignee = if d.below(3) == 0 { None } else { Some(1 + d.below(users as u64) as i64) };
                let rsit = d.pick(&rsits).map(ToString::to_string).unwrap_or_default();
                incidents.push(vec![
                    Bind::Int(id),
                    Bind::Text(format!("CIRT-{}-{:05}", 2024 + id / 40_000, id % 40_000 + 1)),
                    Bind::Text(text(&mut d, 5)),
                    Bind::Text(text(&mut d, 20)),
                    Bind::Text(rsit),
                    Bind::Text(severity.as_str().into()),
                    Bind::Text(tlp.to_string()),
                    Bind::Text("PAP:GREEN".into()),
                    Bind::Text(state.as_str().into()),
                    assignee.map_or(Bind::NullInt, Bind::Int),
                    Bind::Time(created),
                    Bind::Time(updated),
                    Bind::Time(created + Duration::hours(4)),
                    Bind::Time(created + Duration::days(5)),
                ]);
                let org = 1 + d.below(organisations as u64) as i64;
                links.push(vec![Bind::Int(id), Bind::Int(org)]);
                if d.below(10) == 0 && organisations > 1 {
                    links.push(vec![Bind::Int(id), Bind::Int(1 + (org % organisations))]);
                }
                // Addresses across 10.0.0.0/8, some netblocks, IPv6 addresses and domains.
                let raw = d.next();
                let value = match d.below(10) {
                    0 => format!("10.{}.{}.0/24", (raw >> 8) & 0xff, raw & 0xff),
                    1 => format!("host{}.example", raw % 50_000),
                    2 => format!("2001:db8:{:x}::{:x}", raw & 0xffff, (raw >> 16) & 0xffff),
                    _ => format!("10.{}.{}.{}", (raw >> 16) & 0xff, (raw >> 8) & 0xff, raw & 0xff),
                };
                if let Ok(observable) = Observable::parse(&value) {
                    let range = ip_range(&observable);
                    observables.push(vec![
                        Bind::Int(id),
                        Bind::Text(observable.kind().as_str().into()),
                        Bind::Text(observable.value()),
                        Bind::Time(created),
                        range.map_or(Bind::NullBytes, |(s, _)| Bind::Bytes(s.to_vec())),
                        range.map_or(Bind::NullBytes, |(_, e)| Bind::Bytes(e.to_vec())),
                    ]);
                }
                for n in 0..spec.journal_per_incident {
                    journal.push(vec![
                        Bind::Int(id),
                        Bind::Text("comment".into()),
                        Bind::Text("analyst1".into()),
                        Bind::Text(text(&mut d, 20)),
                        Bind::Time(created + Duration::minutes(n * 30)),
                    ]);
                }
            }
            observable_count += observables.len() as i64;
            journal_count += journal.len() as i64;
            let mut inserts = self.insert(
                "INSERT INTO incidents (id, reference, title, description, rsit, severity, tlp, pap, state, \
                 assignee_id, created_at, updated_at, respond_by, resolve_by)",
                incidents,
            );
            inserts.extend(self.insert("INSERT INTO incident_organisations (incident_id, organisation_id)", links));
            inserts.extend(self.insert(
                "INSERT INTO incident_observables (incident_id, kind, value, created_at, ip_start, ip_end)",
                observables,
            ));
            inserts.extend(self.insert("INSERT INTO journal_entries (incident_id, kind, author, body, at)", journal));
            self.run_in_transaction(inserts).await?;
            progress(last);
            first = last + 1;
        }

        if !self.is_sqlite() {
            // Ids were given: move the identity sequences past them, so later inserts do not collide.
            for table in ["organisations", "users", "incidents"] {
                let sql =
                    format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))");
                on_pool!(self, pool => {
                    sqlx::query(&sql).execute(pool).await?;
                });
            }
        }
        self.analyze().await?;
        Ok(SyntheticReport {
            organisations,
            users,
            incidents: spec.incidents.max(0),
            observables: observable_count,
            journal_entries: journal_count,
            elapsed: start.elapsed(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::TestDb;

    #[tokio::test]
    async fn loads_a_small_store_and_refuses_a_second_load() {
        let db = TestDb::sqlite().await;
        let spec = SyntheticSpec { incidents: 30, journal_per_incident: 2, organisations: 5, users: 3, seed: 7 };
        let mut seen = 0;
        let report = db.store.load_synthetic_incidents(&spec, &mut |n| seen = n).await.unwrap();
        assert_eq!((report.incidents, report.journal_entries, seen), (30, 60, 30));
        assert_eq!(db.store.counts().await.unwrap().incidents, 30);
        let err = db.store.load_synthetic_incidents(&spec, &mut |_| {}).await.unwrap_err();
        assert!(err.to_string().contains("empty database"), "{err}");
        db.finish().await;
    }
}
