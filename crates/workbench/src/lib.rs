//! The experiment runner, laid out by stage: each folder imports only from
//! the folders before it (checked by tests/it/layout.rs).
//!
//! config -> plan -> context -> execute -> outputs -> report, with the
//! `run-experiment` command line, the `--all` catalogue and the signal
//! handler on top.

pub mod analyze;
pub mod catalogue;
pub mod cli;
pub mod config;
pub mod context;
pub mod execute;
pub mod fid;
pub mod message;
pub mod outputs;
pub mod plan;
pub mod report;
pub mod signals;
