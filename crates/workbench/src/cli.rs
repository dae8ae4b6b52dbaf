//! `run-experiment FILE.toml [--device D] [--out DIR] [--quick]`.

use crate::device::DeviceChoice;
use crate::outputs::{summary, write};
use crate::run::{RunOptions, run};
use clap::Parser;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "run-experiment",
    version,
    about = "Run a geotraj experiment: sample, measure trajectory geometry, write tables and figures"
)]
pub struct Args {
    /// The experiment file (see experiments/).
    pub config: PathBuf,
    /// Where tensors live: auto = a hardware GPU if there is one, else the CPU.
    #[arg(long, value_enum, default_value_t = DeviceChoice::Auto)]
    pub device: DeviceChoice,
    /// Write everything under DIR instead of notebooks-data/NAME and reports/NAME.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// A small version of the experiment (fewer trajectories and data rows).
    #[arg(long)]
    pub quick: bool,
}

/// Runs the command line; returns the process exit code.
pub fn main() -> i32 {
    let argv: Vec<String> = std::env::args().collect();
    let args = Args::parse();
    let opts = RunOptions {
        config_path: args.config.clone(),
        device: args.device,
        quick: args.quick,
        out: args.out.clone(),
    };
    let result = run(&opts).and_then(|mut r| {
        let written = write(&mut r, &argv)?;
        Ok((r, written))
    });
    match result {
        Ok((r, written)) => {
            let dirs = &r.dirs;
            println!("{}", summary(&r));
            println!("device: {}", r.device);
            println!(
                "wrote {} files: tables and run.json in {}, figures in {}",
                written.len(),
                dirs.tables.display(),
                dirs.figures.display()
            );
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}
