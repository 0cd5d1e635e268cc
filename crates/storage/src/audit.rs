//! The audit log: every change a person or a token makes, appended in the same transaction as
//! the change, each row chained to the one before by SHA-256. `verify` recomputes the chain and
//! names the first row that does not match, so that an edited, removed or forged row is caught.

use crate::{Result, Store, WriteTx, stored_time};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Default)]
pub(crate) struct Head {
    last_id: i64,
    hash: String,
}

/// One audited change, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    /// The hash this row must carry, given the previous row's hash.
    fn expected_hash(&self, prev_hash: &str) -> String {
        chain_hash(
            prev_hash,
            self.id,
            self.at,
            &self.actor,
            &self.action,
            &self.entity,
            &self.entity_id,
            self.before.as_deref(),
            self.after.as_deref(),
        )
    }
}

/// The result of recomputing the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditVerification {
    /// Rows checked.
    pub rows: i64,
    /// The first row that does not match, and why; `None` when the whole chain holds.
    pub first_bad_row: Option<i64>,
    pub reason: Option<String>,
}

impl AuditVerification {
    pub fn is_intact(&self) -> bool {
        self.first_bad_row.is_none()
    }
}

#[allow(clippy::too_many_arguments)]
fn chain_hash(
    prev_hash: &str,
    id: i64,
    at: DateTime<Utc>,
    actor: &str,
    action: &str,
    entity: &str,
    entity_id: &str,
    before: Option<&str>,
    after: Option<&str>,
) -> String {
    // A JSON array is an unambiguous encoding of the fields: no separator can be forged.
    let canonical = serde_json::json!([
        prev_hash,
        id,
        at.to_rfc3339_opts(SecondsFormat::Micros, true),
        actor,
        action,
        entity,
        entity_id,
        before,
        after
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

macro_rules! audit_row {
    ($r:expr) => {
        AuditEntry {
            id: $r.try_get("id")?,
            at: $r.try_get("at")?,
            actor: $r.try_get("actor")?,
            action: $r.try_get("action")?,
            entity: $r.try_get("entity")?,
            entity_id: $r.try_get("entity_id")?,
            before: $r.try_get("before")?,
            after: $r.try_get("after")?,
            prev_hash: $r.try_get("prev_hash")?,
            hash: $r.try_get("hash")?,
        }
    };
}

const SELECT: &str = "SELECT id, at, actor, action, entity, entity_id, before, after, prev_hash, hash FROM audit_log";

impl WriteTx {
    /// Takes the chain's head, which also takes the write lock: SQLite's database lock, or the
    /// head row's lock on PostgreSQL. Every audited writer therefore queues here, not later.
    pub(crate) async fn lock_audit_head(&mut self) -> Result<()> {
        let (last_id, hash): (i64, String) = on_tx!(self, c => {
            sqlx::query_as("UPDATE audit_head SET last_id = last_id WHERE singleton = 1 RETURNING last_id, hash")
                .fetch_one(&mut *c)
                .await?
        });
        self.head = crate::audit::Head { last_id, hash };
        Ok(())
    }

    /// Appends an audit record of a change made in this transaction. `before` and `after` are
    /// the changed object's state (absent for a creation or a deletion).
    pub async fn audit(
        &mut self,
        action: &str,
        entity: &str,
        entity_id: impl ToString,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> Result<i64> {
        let entry = {
            let mut e = AuditEntry {
                id: self.head.last_id + 1,
                at: stored_time(self.now),
                actor: self.actor.clone(),
                action: action.to_owned(),
                entity: entity.to_owned(),
                entity_id: entity_id.to_string(),
                before: before.map(|v| v.to_string()),
                after: after.map(|v| v.to_string()),
                prev_hash: self.head.hash.clone(),
                hash: String::new(),
            };
            e.hash = e.expected_hash(&e.prev_hash);
            e
        };
        on_tx!(self, c => {
            sqlx::query(
                "INSERT INTO audit_log (id, at, actor, action, entity, entity_id, before, after, prev_hash, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(entry.id)
            .bind(entry.at)
            .bind(&entry.actor)
            .bind(&entry.action)
            .bind(&entry.entity)
            .bind(&entry.entity_id)
            .bind(&entry.before)
            .bind(&entry.after)
            .bind(&entry.prev_hash)
            .bind(&entry.hash)
            .execute(&mut *c)
            .await?;
            sqlx::query("UPDATE audit_head SET last_id = $1, hash = $2 WHERE singleton = 1")
                .bind(entry.id)
                .bind(&entry.hash)
                .execute(&mut *c)
                .await?;
        });
        self.head = Head { last_id: entry.id, hash: entry.hash };
        Ok(entry.id)
    }
}

impl Store {
    /// The newest audit records first.
    pub async fn audit_entries(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        let sql = format!("{SELECT} ORDER BY id DESC LIMIT $1");
        on_pool!(self, pool => {
            let rows = sqlx::query(&sql).bind(limit).fetch_all(pool).await?;
            rows.iter().map(|r| Ok(audit_row!(r))).collect()
        })
    }

    /// Recomputes the whole chain, page by page, and names the first row that does not match.
    pub async fn verify_audit(&self) -> Result<AuditVerification> {
        const PAGE: i64 = 5_000;
        let sql = format!("{SELECT} WHERE id > $1 ORDER BY id LIMIT $2");
        let mut prev_hash = GENESIS.to_owned();
        let mut expected_id = 1;
        let mut rows = 0;
        let bad = |rows, id, reason: String| AuditVerification { rows, first_bad_row: Some(id), reason: Some(reason) };
        loop {
            let page: Vec<AuditEntry> = on_pool!(self, pool => {
                let rs = sqlx::query(&sql).bind(expected_id - 1).bind(PAGE).fetch_all(pool).await?;
                rs.iter().map(|r| Ok(audit_row!(r))).collect::<Result<Vec<_>>>()?
            });
            let n = page.len();
            for e in page {
                rows += 1;
                if e.id != expected_id {
                    return Ok(bad(
                        rows,
                        expected_id,
                        format!("row {expected_id} is missing (the next row is {})", e.id),
                    ));
                }
                if e.prev_hash != prev_hash {
                    return Ok(bad(rows, e.id, "its link to the previous row does not match".into()));
                }
                if e.expected_hash(&prev_hash) != e.hash {
                    return Ok(bad(rows, e.id, "its content does not match its hash: it was altered".into()));
                }
                prev_hash = e.hash;
                expected_id += 1;
            }
            if n < PAGE as usize {
                break;
            }
        }
        let (last_id, head_hash): (i64, String) = on_pool!(self, pool => {
            sqlx::query_as("SELECT last_id, hash FROM audit_head WHERE singleton = 1").fetch_one(pool).await?
        });
        if last_id != expected_id - 1 || head_hash != prev_hash {
            return Ok(bad(
                rows,
                expected_id,
                format!(
                    "the chain ends at row {} but its head records row {last_id}: rows were removed",
                    expected_id - 1
                ),
            ));
        }
        Ok(AuditVerification { rows, first_bad_row: None, reason: None })
    }
}
