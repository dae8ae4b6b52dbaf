//! The experiment runner: config schema, device choice, the run itself,
//! outputs and the `run-experiment` command line.

pub mod cases;
pub mod catalogue;
pub mod cli;
pub mod config;
pub mod data_figures;
pub mod device;
pub mod field_figures;
pub mod fingerprint;
pub mod gits_outputs;
pub mod gits_schedule;
pub mod held_out;
mod image_outputs;
pub mod jump_quality;
pub mod key_numbers;
pub mod learned_model;
pub mod learned_outputs;
pub mod learned_vs_optimal;
pub mod load;
pub mod lowdim_outputs;
pub mod memory;
pub mod noise;
pub mod outputs;
pub mod progress;
pub mod projection;
pub mod projection_outputs;
pub mod report;
pub mod run;
pub mod sweep;
pub mod sweep_outputs;
pub mod sweep_run;
