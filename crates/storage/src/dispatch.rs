//! The two macros that run one piece of query code against whichever backend is in use. The code
//! is written once and compiled twice, once per driver, so each copy is fully typed.

/// Runs `$body` with `$pool` bound to the store's pool (`&SqlitePool` or `&PgPool`).
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            $crate::Backend::Sqlite($pool) => $body,
            $crate::Backend::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` with `$conn` bound to the transaction's connection.
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match &mut $tx.inner {
            $crate::TxInner::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            $crate::TxInner::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}
