//! The pipeline's integration tests, in one binary: golden files (every sample input beside its
//! expected events and quarantine) and property tests of the parsers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod experts;
mod golden;
mod props;
