//! The pipeline's integration tests, in one binary: golden files (every sample input beside its
//! expected events and quarantine) and property tests of the parsers.

mod golden;
mod props;
