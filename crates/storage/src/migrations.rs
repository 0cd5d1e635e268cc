//! Schema migrations, embedded in the binary: one ordered sequence per backend. Both sequences
//! must reach the same version with the same meaning (a test checks the versions agree).

use crate::{Backend, Result, StorageError, Store};
use chrono::{DateTime, Utc};
use serde::Serialize;

struct Migration {
    version: i64,
    description: &'static str,
    sql: &'static str,
}

const SQLITE: &[Migration] = &[
    Migration { version: 1, description: "foundation", sql: include_str!("../migrations/sqlite/0001_foundation.sql") },
    Migration {
        version: 2,
        description: "incident search",
        sql: include_str!("../migrations/sqlite/0002_incident_search.sql"),
    },
    Migration { version: 3, description: "sessions", sql: include_str!("../migrations/sqlite/0003_sessions.sql") },
    Migration {
        version: 4,
        description: "attachments",
        sql: include_str!("../migrations/sqlite/0004_attachments.sql"),
    },
    Migration {
        version: 5,
        description: "two-factor sign-in",
        sql: include_str!("../migrations/sqlite/0005_two_factor.sql"),
    },
    Migration { version: 6, description: "feed events", sql: include_str!("../migrations/sqlite/0006_events.sql") },
    Migration {
        version: 7,
        description: "incident list performance",
        sql: include_str!("../migrations/sqlite/0007_list_performance.sql"),
    },
    Migration {
        version: 8,
        description: "event blocks",
        sql: include_str!("../migrations/sqlite/0008_event_blocks.sql"),
    },
    Migration {
        version: 9,
        description: "feed runs not modified",
        sql: include_str!("../migrations/sqlite/0009_feed_run_not_modified.sql"),
    },
    Migration {
        version: 10,
        description: "quarantine context",
        sql: include_str!("../migrations/sqlite/0010_quarantine_context.sql"),
    },
    Migration {
        version: 11,
        description: "hand-off to incidents",
        sql: include_str!("../migrations/sqlite/0011_handoff.sql"),
    },
];

const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        description: "foundation",
        sql: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        description: "incident search",
        sql: include_str!("../migrations/postgres/0002_incident_search.sql"),
    },
    Migration { version: 3, description: "sessions", sql: include_str!("../migrations/postgres/0003_sessions.sql") },
    Migration {
        version: 4,
        description: "attachments",
        sql: include_str!("../migrations/postgres/0004_attachments.sql"),
    },
    Migration {
        version: 5,
        description: "two-factor sign-in",
        sql: include_str!("../migrations/postgres/0005_two_factor.sql"),
    },
    Migration { version: 6, description: "feed events", sql: include_str!("../migrations/postgres/0006_events.sql") },
    Migration {
        version: 7,
        description: "incident list performance",
        sql: include_str!("../migrations/postgres/0007_list_performance.sql"),
    },
    Migration {
        version: 8,
        description: "event blocks",
        sql: include_str!("../migrations/postgres/0008_event_blocks.sql"),
    },
    Migration {
        version: 9,
        description: "feed runs not modified",
        sql: include_str!("../migrations/postgres/0009_feed_run_not_modified.sql"),
    },
    Migration {
        version: 10,
        description: "quarantine context",
        sql: include_str!("../migrations/postgres/0010_quarantine_context.sql"),
    },
    Migration {
        version: 11,
        description: "hand-off to incidents",
        sql: include_str!("../migrations/postgres/0011_handoff.sql"),
    },
];

/// The version that added the observables' address ranges, which SQL cannot compute from the
/// text: right after it, existing rows are filled in from Rust, in the same transaction.
const OBSERVABLE_RANGES: i64 = 2;

const CREATE_SCHEMA_TABLE: &str = "CREATE TABLE IF NOT EXISTS cirtkit_schema (\
    version BIGINT PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)";

/// Where the database's schema stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaStatus {
    /// The version the database is at (0: empty).
    pub current: i64,
    /// The version this binary brings.
    pub latest: i64,
    /// Migrations this binary would apply, as `version description`.
    pub pending: Vec<String>,
}

impl SchemaStatus {
    pub fn is_current(&self) -> bool {
        self.current == self.latest
    }
}

impl Store {
    fn migrations(&self) -> &'static [Migration] {
        match self.backend {
            Backend::Sqlite(_) => SQLITE,
            Backend::Postgres(_) => POSTGRES,
        }
    }

    /// The newest schema version this binary knows, for either backend.
    pub fn latest_schema_version() -> i64 {
        SQLITE.last().map_or(0, |m| m.version)
    }

    /// Reads the schema version without changing anything (readiness probes call this often).
    pub async fn schema_status(&self) -> Result<SchemaStatus> {
        let exists_sql = match self.backend {
            Backend::Sqlite(_) => {
                "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'cirtkit_schema'"
            }
            Backend::Postgres(_) => "SELECT to_regclass('cirtkit_schema') IS NOT NULL",
        };
        let current: i64 = on_pool!(self, pool => {
            let exists: bool = sqlx::query_scalar(exists_sql).fetch_one(pool).await?;
            if exists {
                sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(version) FROM cirtkit_schema")
                    .fetch_one(pool)
                    .await?
                    .unwrap_or(0)
            } else {
                0
            }
        });
        let all = self.migrations();
        let latest = all.last().map_or(0, |m| m.version);
        Ok(SchemaStatus {
            current,
            latest,
            pending: all
                .iter()
                .filter(|m| m.version > current)
                .map(|m| format!("{} {}", m.version, m.description))
                .collect(),
        })
    }

    /// Applies every pending migration, each in its own transaction; on PostgreSQL an advisory
    /// lock keeps two nodes starting together from migrating at once. Returns the versions applied.
    pub async fn migrate(&self, now: DateTime<Utc>) -> Result<Vec<i64>> {
        let mut applied = Vec::new();
        let all = self.migrations();
        let latest = all.last().map_or(0, |m| m.version);
        on_pool!(self, pool => {
            sqlx::query(CREATE_SCHEMA_TABLE).execute(pool).await?;
            let mut tx = pool.begin().await?;
            if self.backend_name() == "postgres" {
                sqlx::query("SELECT pg_advisory_xact_lock(7461201)").execute(&mut *tx).await?;
            }
            let current: i64 = sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(version) FROM cirtkit_schema")
                .fetch_one(&mut *tx)
                .await?
                .unwrap_or(0);
            if current > latest {
                return Err(StorageError::SchemaTooNew { found: current, known: latest });
            }
            for m in all.iter().filter(|m| m.version > current) {
                let failed = |e: sqlx::Error| StorageError::Migration {
                    version: m.version,
                    description: m.description.to_owned(),
                    reason: e.to_string(),
                };
                sqlx::raw_sql(m.sql).execute(&mut *tx).await.map_err(failed)?;
                if m.version == OBSERVABLE_RANGES {
                    let rows: Vec<(i64, String, String)> = sqlx::query_as(
                        "SELECT id, kind, value FROM incident_observables WHERE kind IN ('ipv4', 'ipv6', 'cidr')",
                    )
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(failed)?;
                    for (id, kind, value) in rows {
                        let Some((start, end)) = crate::search::stored_ip_range(&kind, &value) else { continue };
                        sqlx::query("UPDATE incident_observables SET ip_start = $1, ip_end = $2 WHERE id = $3")
                            .bind(start.to_vec())
                            .bind(end.to_vec())
                            .bind(id)
                            .execute(&mut *tx)
                            .await
                            .map_err(failed)?;
                    }
                }
                sqlx::query("INSERT INTO cirtkit_schema (version, description, applied_at) VALUES ($1, $2, $3)")
                    .bind(m.version)
                    .bind(m.description)
                    .bind(now.to_rfc3339())
                    .execute(&mut *tx)
                    .await
                    .map_err(failed)?;
                applied.push(m.version);
            }
            tx.commit().await?;
        });
        if !applied.is_empty() {
            tracing::info!(backend = self.backend_name(), versions = ?applied, "schema migrated");
        }
        Ok(applied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Versions taken by work on another branch. Remove a version from here when its migration
    /// is merged.
    const RESERVED: &[i64] = &[];

    #[test]
    fn both_backends_reach_the_same_version_through_the_same_steps() {
        let versions = |ms: &[Migration]| ms.iter().map(|m| (m.version, m.description)).collect::<Vec<_>>();
        assert_eq!(versions(SQLITE), versions(POSTGRES));
        for ms in [SQLITE, POSTGRES] {
            let expected = (1..).filter(|v| !RESERVED.contains(v));
            for (m, v) in ms.iter().zip(expected) {
                assert_eq!(m.version, v, "versions are consecutive from 1, but for those reserved");
            }
        }
    }

    #[test]
    fn both_schemas_create_the_same_tables() {
        // The tables each migration adds to the schema: created and not dropped, a table
        // renamed counted under its new name (SQLite rebuilds a table to change a column,
        // PostgreSQL alters it in place: both end with the same tables).
        fn after(sql: &str, mut tables: Vec<String>) -> Vec<String> {
            let code: String =
                sql.lines().map(|l| l.split("--").next().unwrap_or_default()).collect::<Vec<_>>().join("\n");
            for statement in code.split(';') {
                let words: Vec<&str> = statement.split_whitespace().collect();
                match words.as_slice() {
                    ["CREATE", "TABLE", name, ..] => tables.push((*name).to_owned()),
                    ["DROP", "TABLE", name, ..] => tables.retain(|t| t != name),
                    ["ALTER", "TABLE", from, "RENAME", "TO", to, ..] => {
                        tables.retain(|t| t != from && t != to);
                        tables.push((*to).to_owned());
                    }
                    _ => {}
                }
            }
            tables.sort();
            tables.dedup();
            tables
        }
        let (mut sqlite, mut postgres) = (Vec::new(), Vec::new());
        for (a, b) in SQLITE.iter().zip(POSTGRES) {
            sqlite = after(a.sql, sqlite);
            postgres = after(b.sql, postgres);
            assert_eq!(sqlite, postgres, "the tables after migration {}", a.version);
        }
        assert!(sqlite.contains(&"event_blocks".to_owned()) && sqlite.contains(&"incidents".to_owned()));
    }
}
