//! Incident lists and search: the filtered, keyset-paged list (newest first), full-text search
//! over titles, descriptions and journals, and search by observable, where addresses and
//! netblocks match by range. The SQL is built from fixed fragments with numbered bind
//! parameters only: no text from outside is ever part of the SQL.
//!
//! Full text: one document per incident, its title, description and journal entries, kept by
//! triggers (migration 0002): an FTS5 table on SQLite, a `tsvector` column (configuration
//! `simple`) with a GIN index on PostgreSQL. Query words match whole words (not prefixes, which
//! would blind PostgreSQL's planner); every word must be found, each anywhere in the incident.
//!
//! Addresses: every ipv4, ipv6 and cidr observable stores the range it covers as two 16-byte
//! big-endian keys (IPv4 mapped into IPv6), so that byte order is address order. Netblocks are
//! aligned, so two ranges overlap only when one contains the other: a stored range inside the
//! queried one starts within it (one index range scan), and a stored range containing the queried
//! one starts at one of the queried start's supernet starts (at most 129 index probes).

use crate::{Backend, Result, StorageError, Store};
use chrono::{DateTime, Utc};
use cirtkit_domain::{
    Incident, IncidentId, IncidentQuery, IncidentReference, IncidentState, Observable, ObservableKind, OrganisationId,
    Pap, Rsit, Severity, Tlp, UserId, Visibility,
};
use ipnet::IpNet;
use sqlx::Row;
use std::fmt::Write as _;
use std::net::IpAddr;

/// An address as a key that sorts in address order: 16 bytes, IPv4 as `::ffff:a.b.c.d`.
pub(crate) type IpKey = [u8; 16];

pub(crate) fn ip_key(ip: IpAddr) -> IpKey {
    match ip {
        IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
        IpAddr::V6(a) => a.octets(),
    }
}

/// The first and last address an observable covers, with the prefix length in IPv6 terms (an
/// IPv4 /24 is a /120); `None` for kinds that are not addresses.
fn ip_range_with_prefix(observable: &Observable) -> Option<(IpKey, IpKey, u8)> {
    match observable {
        Observable::Ipv4(a) => Some((ip_key(IpAddr::V4(*a)), ip_key(IpAddr::V4(*a)), 128)),
        Observable::Ipv6(a) => Some((a.octets(), a.octets(), 128)),
        Observable::Cidr(net) => {
            let prefix = match net {
                IpNet::V4(n) => 96 + n.prefix_len(),
                IpNet::V6(n) => n.prefix_len(),
            };
            Some((ip_key(net.network()), ip_key(net.broadcast()), prefix))
        }
        _ => None,
    }
}

/// The range an address observable covers, as stored in `ip_start` and `ip_end`.
pub(crate) fn ip_range(observable: &Observable) -> Option<(IpKey, IpKey)> {
    ip_range_with_prefix(observable).map(|(s, e, _)| (s, e))
}

/// The same, from a stored row's kind and canonical value (the migration's backfill).
pub(crate) fn stored_ip_range(kind: &str, value: &str) -> Option<(IpKey, IpKey)> {
    let kind: ObservableKind = kind.parse().ok()?;
    ip_range(&Observable::parse_as(kind, value).ok()?)
}

/// The first 12 bytes of an IPv4-mapped IPv6 address.
const IPV4_MAPPED: [u8; 12] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/// A value bound to a numbered parameter.
#[derive(Debug, Clone)]
pub(crate) enum Bind {
    Int(i64),
    Text(String),
    Time(DateTime<Utc>),
    Bytes(Vec<u8>),
    /// Typed nulls, for the synthetic loader's raw inserts (PostgreSQL wants the column's type).
    NullInt,
    NullBytes,
}

/// SQL under construction: fixed fragments, and the values they refer to as `$1`, `$2`…
#[derive(Debug, Default)]
pub(crate) struct Sql {
    conditions: Vec<String>,
    pub(crate) binds: Vec<Bind>,
    /// SQLite: the placeholder of an FTS5 match on `incidents_fts`, which then drives the query.
    fts_match: Option<String>,
    /// The best plan depends on the values bound (PostgreSQL's full text: the GIN index for a
    /// rare word, the id order for a common one), so the statement is not kept prepared: a kept
    /// statement may switch to one generic plan for all values after five executions.
    plan_per_values: bool,
}

impl Sql {
    /// Binds a value and returns its placeholder.
    pub(crate) fn bind(&mut self, value: Bind) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }

    /// Binds values and returns their placeholders, comma-separated (for `IN (…)`).
    pub(crate) fn bind_list(&mut self, values: impl IntoIterator<Item = Bind>) -> String {
        let mut out = String::new();
        for v in values {
            if !out.is_empty() {
                out.push_str(", ");
            }
            out.push_str(&self.bind(v));
        }
        out
    }

    pub(crate) fn and(&mut self, condition: String) {
        self.conditions.push(condition);
    }

    /// `column IN (…)` for a non-empty list; an empty list matches nothing.
    fn and_in(&mut self, column: &str, values: Vec<Bind>) {
        if values.is_empty() {
            self.and("1 = 0".to_owned());
        } else {
            let list = self.bind_list(values);
            self.and(format!("{column} IN ({list})"));
        }
    }

    pub(crate) fn where_clause(&self) -> String {
        if self.conditions.is_empty() { String::new() } else { format!(" WHERE {}", self.conditions.join(" AND ")) }
    }
}

/// Applies the binds to a query, in order, whichever the driver.
macro_rules! bind_all {
    ($query:expr, $binds:expr) => {{
        let mut q = $query;
        for b in $binds {
            q = match b {
                Bind::Int(v) => q.bind(*v),
                Bind::Text(v) => q.bind(v.as_str()),
                Bind::Time(v) => q.bind(*v),
                Bind::Bytes(v) => q.bind(v.as_slice()),
                Bind::NullInt => q.bind(None::<i64>),
                Bind::NullBytes => q.bind(None::<Vec<u8>>),
            };
        }
        q
    }};
}

/// An FTS5 query matching `word` as a phrase (its tokens next to each other). Quoted, the user's
/// text is only ever a string to FTS5: `OR`, `(`, `-`, `*` are not operators inside quotes.
fn fts5_phrase(word: &str) -> String {
    format!("\"{}\"", word.replace('"', "\"\""))
}

impl Store {
    pub(crate) fn is_sqlite(&self) -> bool {
        matches!(self.backend, Backend::Sqlite(_))
    }

    /// Adds the query's filters to `sql`, as conditions on `incidents i`.
    fn add_filters(&self, sql: &mut Sql, query: &IncidentQuery) {
        if !query.states.is_empty() {
            sql.and_in("i.state", query.states.iter().map(|s| Bind::Text(s.as_str().to_owned())).collect());
        }
        if !query.severities.is_empty() {
            sql.and_in("i.severity", query.severities.iter().map(|s| Bind::Text(s.as_str().to_owned())).collect());
        }
        if !query.rsit_classes.is_empty() {
            sql.and_in("i.rsit", query.rsit_values().iter().map(|r| Bind::Text(r.to_string())).collect());
        }
        if !query.tlps.is_empty() {
            sql.and_in("i.tlp", query.tlps.iter().map(|t| Bind::Text(t.to_string())).collect());
        }
        if let Some(org) = query.organisation {
            let p = sql.bind(Bind::Int(org.0));
            sql.and(format!(
                "i.id IN (SELECT io.incident_id FROM incident_organisations io WHERE io.organisation_id = {p})"
            ));
        }
        if let Some(user) = query.assignee {
            let p = sql.bind(Bind::Int(user.0));
            sql.and(format!("i.assignee_id = {p}"));
        }
        let bounds = [
            ("i.created_at >=", query.created_after),
            ("i.created_at <", query.created_before),
            ("i.updated_at >=", query.updated_after),
            ("i.updated_at <", query.updated_before),
        ];
        for (condition, bound) in bounds {
            if let Some(t) = bound {
                let p = sql.bind(Bind::Time(t));
                sql.and(format!("{condition} {p}"));
            }
        }
        let words = query.search_words();
        if !words.is_empty() {
            if self.is_sqlite() {
                // Matched in the FTS5 table that drives the query (see `incident_page`).
                let phrases: Vec<String> = words.iter().map(|w| fts5_phrase(w)).collect();
                sql.fts_match = Some(sql.bind(Bind::Text(phrases.join(" "))));
            } else {
                let p = sql.bind(Bind::Text(words.join(" ")));
                sql.and(format!("i.search @@ incident_search_query({p})"));
                sql.plan_per_values = true;
            }
        }
        if let Some(v) = query.visible_to {
            add_visibility(sql, v);
        }
    }

    /// Incidents matching the query, newest first (by id descending), `limit` of them, after the
    /// cursor id (exclusive) when given, with their organisations.
    pub async fn search_incidents(
        &self,
        query: &IncidentQuery,
        after: Option<IncidentId>,
        limit: i64,
    ) -> Result<Vec<Incident>> {
        let mut sql = Sql::default();
        self.add_filters(&mut sql, query);
        self.incident_page(sql, after, limit).await
    }

    /// Incidents having an observable that matches, newest first, paged and filtered by
    /// visibility like [`Store::search_incidents`], each with its matching observables.
    ///
    /// Addresses and netblocks match any stored address or netblock whose range overlaps:
    /// `192.0.2.77` finds `192.0.2.0/24`, and `192.0.2.0/24` finds `192.0.2.5`, `192.0.2.0/25`
    /// and `192.0.0.0/16`. Other kinds match the same canonical value.
    pub async fn search_by_observable(
        &self,
        observable: &Observable,
        visible_to: Option<Visibility>,
        after: Option<IncidentId>,
        limit: i64,
    ) -> Result<Vec<(Incident, Vec<Observable>)>> {
        let mut sql = Sql::default();
        let matching = observable_match(&mut sql, observable);
        sql.and(format!("i.id IN (SELECT o.incident_id FROM incident_observables o WHERE {matching})"));
        if let Some(v) = visible_to {
            add_visibility(&mut sql, v);
        }
        let page = self.incident_page(sql, after, limit).await?;
        if page.is_empty() {
            return Ok(Vec::new());
        }

        let mut sql = Sql::default();
        let matching = observable_match(&mut sql, observable);
        let ids = sql.bind_list(page.iter().map(|i| Bind::Int(i.id.0)));
        let text = format!(
            "SELECT o.incident_id, o.kind, o.value FROM incident_observables o \
             WHERE o.incident_id IN ({ids}) AND ({matching}) ORDER BY o.id"
        );
        let rows: Vec<(i64, String, String)> = on_pool!(self, pool => {
            bind_all!(sqlx::query_as(&text), &sql.binds).fetch_all(pool).await?
        });
        let mut out: Vec<(Incident, Vec<Observable>)> = page.into_iter().map(|i| (i, Vec::new())).collect();
        for (incident, kind, value) in rows {
            let kind: ObservableKind = kind.parse()?;
            let found = Observable::parse_as(kind, &value)?;
            if let Some((_, list)) = out.iter_mut().find(|(i, _)| i.id.0 == incident) {
                list.push(found);
            }
        }
        Ok(out)
    }

    /// Runs `SELECT … FROM incidents i WHERE <conditions> [AND i.id < after] ORDER BY i.id DESC
    /// LIMIT limit` and fills in the page's organisations with one more query.
    async fn incident_page(&self, mut sql: Sql, after: Option<IncidentId>, limit: i64) -> Result<Vec<Incident>> {
        if limit <= 0 {
            return Ok(Vec::new());
        }
        let columns: Vec<String> =
            crate::incidents::INCIDENT_COLUMNS.split(", ").map(|c| format!("i.{}", c.trim())).collect();
        // With words to find on SQLite, the FTS5 table leads: it yields its matches by id,
        // newest first, so the query stops after `limit` of them instead of collecting all.
        let (from, id) = match sql.fts_match.clone() {
            Some(m) => {
                sql.and(format!("incidents_fts MATCH {m}"));
                ("incidents_fts f CROSS JOIN incidents i ON i.id = f.rowid", "f.rowid")
            }
            None => ("incidents i", "i.id"),
        };
        if let Some(after) = after {
            let p = sql.bind(Bind::Int(after.0));
            sql.and(format!("{id} < {p}"));
        }
        let mut text = format!("SELECT {} FROM {from}{}", columns.join(", "), sql.where_clause());
        let p = sql.bind(Bind::Int(limit));
        let _ = write!(text, " ORDER BY {id} DESC LIMIT {p}");
        let persistent = !sql.plan_per_values;
        let mut page: Vec<Incident> = on_pool!(self, pool => {
            let rows = bind_all!(sqlx::query(&text).persistent(persistent), &sql.binds).fetch_all(pool).await?;
            rows.iter().map(|r| Ok::<_, StorageError>(incident_row!(r))).collect::<Result<_>>()?
        });
        self.fill_organisations(&mut page).await?;
        Ok(page)
    }

    /// Fills in the organisations of a page of incidents, with one query.
    async fn fill_organisations(&self, page: &mut [Incident]) -> Result<()> {
        if page.is_empty() {
            return Ok(());
        }
        let mut sql = Sql::default();
        let ids = sql.bind_list(page.iter().map(|i| Bind::Int(i.id.0)));
        let text = format!(
            "SELECT incident_id, organisation_id FROM incident_organisations WHERE incident_id IN ({ids}) \
             ORDER BY incident_id, organisation_id"
        );
        let links: Vec<(i64, i64)> = on_pool!(self, pool => {
            bind_all!(sqlx::query_as(&text), &sql.binds).fetch_all(pool).await?
        });
        for incident in page {
            incident.organisations =
                links.iter().filter(|(i, _)| *i == incident.id.0).map(|(_, o)| OrganisationId(*o)).collect();
        }
        Ok(())
    }
}

/// Only incidents affecting the organisation, marked at most its TLP.
pub(crate) fn add_visibility(sql: &mut Sql, v: Visibility) {
    sql.and_in("i.tlp", v.allowed_tlps().map(|t| Bind::Text(t.to_string())).collect());
    let p = sql.bind(Bind::Int(v.organisation.0));
    sql.and(format!("i.id IN (SELECT vo.incident_id FROM incident_organisations vo WHERE vo.organisation_id = {p})"));
}

/// A condition on `incident_observables o` that holds for the observables matching `observable`.
fn observable_match(sql: &mut Sql, observable: &Observable) -> String {
    let Some((start, end, prefix)) = ip_range_with_prefix(observable) else {
        let kind = sql.bind(Bind::Text(observable.kind().as_str().to_owned()));
        let value = sql.bind(Bind::Text(observable.value()));
        return format!("o.kind = {kind} AND o.value = {value}");
    };
    // Stored ranges inside the queried one start within it.
    let lo = sql.bind(Bind::Bytes(start.to_vec()));
    let hi = sql.bind(Bind::Bytes(end.to_vec()));
    // Stored ranges containing it start where one of its supernets starts: within IPv4 for an
    // IPv4 query (the mapped block ::ffff:0:0/96 and below), anywhere for IPv6.
    let first_prefix = if start[..12] == IPV4_MAPPED { 96 } else { 0 };
    let q = u128::from_be_bytes(start);
    let supernets = (first_prefix..=prefix).map(|p| {
        let mask = if p == 0 { 0 } else { u128::MAX << (128 - u32::from(p)) };
        Bind::Bytes((q & mask).to_be_bytes().to_vec())
    });
    let starts = sql.bind_list(supernets);
    format!("((o.ip_start >= {lo} AND o.ip_start <= {hi}) OR (o.ip_start IN ({starts}) AND o.ip_end >= {hi}))")
}

#[cfg(test)]
mod bench;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_in_address_order_and_netblocks_cover_their_range() {
        let r = |s: &str| ip_range(&Observable::parse(s).unwrap()).unwrap();
        let (s, e) = r("192.0.2.0/24");
        assert_eq!(s, ip_key("192.0.2.0".parse().unwrap()));
        assert_eq!(e, ip_key("192.0.2.255".parse().unwrap()));
        assert!(r("192.0.2.77").0 > s && r("192.0.2.77").0 < e);
        assert!(r("10.0.0.1").0 < r("192.0.2.1").0, "byte order is address order");
        let (s6, e6) = r("2001:db8::/32");
        assert_eq!(&s6[..4], &[0x20, 0x01, 0x0d, 0xb8]);
        assert_eq!(e6[4..], [0xff; 12]);
        assert_eq!(stored_ip_range("cidr", "192.0.2.0/24"), Some((s, e)));
        assert_eq!(stored_ip_range("domain", "example.org"), None);
    }

    #[test]
    fn fts5_phrases_quote_everything() {
        assert_eq!(fts5_phrase("OR"), "\"OR\"");
        assert_eq!(fts5_phrase("a\"b"), "\"a\"\"b\"");
    }
}
