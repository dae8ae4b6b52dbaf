//! `run-experiment FILE.toml [--device D] [--out DIR] [--quick]`,
//! `run-experiment --all DIR ...` for every experiment of a folder, or
//! `run-experiment analyze FILE --out DIR` for trajectories from a file.

use crate::context::device::DeviceChoice;
use crate::execute::{RunOptions, run};
use crate::report::{print_done, publish};
use clap::Parser;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "run-experiment",
    version,
    about = "Run a geotraj experiment: sample, measure trajectory geometry, write tables and figures"
)]
pub struct Args {
    /// The experiment file (see experiments/); or use --all.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub config: Option<PathBuf>,
    /// Run every *.toml in DIR (not recursive) in file-name order; with
    /// --out, each experiment writes under OUT/NAME.
    #[arg(long, value_name = "DIR")]
    pub all: Option<PathBuf>,
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
    crate::signals::install();
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).is_some_and(|a| a == "analyze") {
        return crate::analyze::main(&argv[1..]);
    }
    let args = Args::parse();
    if let Some(dir) = &args.all {
        return crate::catalogue::main(dir, args.device, args.quick, args.out.as_deref(), &argv);
    }
    let opts = RunOptions {
        config_path: args.config.clone().expect("clap requires FILE or --all"),
        device: args.device,
        quick: args.quick,
        out: args.out.clone(),
    };
    let result = run(&opts).and_then(|mut r| {
        let written = publish(&mut r, &argv)?;
        Ok((r, written))
    });
    match result {
        Ok((r, written)) => {
            print_done(&r, &written);
            0
        }
        Err(e) => {
            eprintln!("error: {}", crate::message::message(&e));
            1
        }
    }
}
