//! cirtkit's integration tests, in one binary (each file under tests/ would be linked on its own):
//! the real `cirtkit` binary run as a person would, and the real server on a loopback port.

// Test code: a failed expectation should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod api;
mod bench;
mod browser;
mod cli;
mod feeds;
mod handoff;
mod mail;
mod mail_out;
mod mail_poll;
mod server;
mod support;
