//! The experiment runner: config schema, device choice, the run itself,
//! outputs and the `run-experiment` command line.

pub mod cli;
pub mod config;
pub mod device;
pub mod load;
pub mod outputs;
pub mod progress;
pub mod run;
