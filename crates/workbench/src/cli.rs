//! `run-experiment FILE.toml [--device D] [--out DIR] [--quick]`,
//! `run-experiment --all DIR ...` for every experiment of a folder, or
//! `run-experiment analyze FILE --out DIR` for trajectories from a file,
//! `run-experiment fid A B --weights W` for FID between image sets.

use crate::context::device::DeviceChoice;
use crate::execute::{RunOptions, run};
use crate::report::{print_done, publish};
use clap::Parser;
use std::path::{Path, PathBuf};

/// The folder a bare experiment name is looked up in.
const EXPERIMENTS: &str = "experiments";

#[derive(Debug, Parser)]
#[command(
    name = "run-experiment",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("GEOTRAJ_GIT_COMMIT"), ")"),
    about = "Run a geotraj experiment: sample, measure trajectory geometry, write tables and figures",
    after_help = "Examples:\n  \
        run-experiment experiments/quickstart.toml        tables in notebooks-data/quickstart, report in reports/quickstart\n  \
        run-experiment curvature --quick                  experiments/curvature.toml, small\n  \
        run-experiment curvature.toml --out /tmp/curv     everything under /tmp/curv\n  \
        run-experiment --all experiments --quick          every experiment of a folder\n  \
        run-experiment analyze states.npy --sigma 80,10,1,0 --out /tmp/theirs\n  \
        run-experiment fid samples/ stats.npz --weights pt_inception-2015-12-05-6726825d.pth\n\n\
        A bare NAME or NAME.toml that is not a file here is looked up in experiments/."
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
    if argv.get(1).is_some_and(|a| a == "fid") {
        return crate::fid::main(&argv[1..]);
    }
    let args = Args::parse();
    if let Some(dir) = &args.all {
        return crate::catalogue::main(dir, args.device, args.quick, args.out.as_deref(), &argv);
    }
    let config_path =
        match find_experiment(&args.config.clone().expect("clap requires FILE or --all")) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: {e}");
                return 1;
            }
        };
    let opts = RunOptions {
        config_path,
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

/// The experiment file a user named: the path itself when it exists, else
/// `experiments/NAME` or `experiments/NAME.toml` for a bare name; a name
/// found nowhere gets the list of experiments there.
pub fn find_experiment(given: &Path) -> Result<PathBuf, String> {
    if given.exists() {
        return Ok(given.to_path_buf());
    }
    let bare = given.components().count() == 1;
    let dir = Path::new(EXPERIMENTS);
    if bare {
        let name = given.to_string_lossy();
        for candidate in [dir.join(given), dir.join(format!("{name}.toml"))] {
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter_map(|n| n.strip_suffix(".toml").map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let looked = if bare {
        format!(" (nor in {EXPERIMENTS}/)")
    } else {
        String::new()
    };
    Err(if names.is_empty() {
        format!("{}: no such experiment file{looked}", given.display())
    } else {
        format!(
            "{}: no such experiment file{looked}; the experiments in {EXPERIMENTS}/ are: {}",
            given.display(),
            names.join(", ")
        )
    })
}
