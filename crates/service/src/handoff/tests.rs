//! Hand-off tests.
