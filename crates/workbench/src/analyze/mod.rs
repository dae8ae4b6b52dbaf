//! `run-experiment analyze FILE --out DIR`: geotraj's trajectory measures
//! for trajectories another program wrote (or an `[export]` of a run). The
//! file's trajectories become one case of a trajectory run, measured batch
//! by batch by the run's own code and published by the run's own writer:
//! the same tables, figures and report.

mod read;
mod setup;

pub use read::{Loaded, read};
pub(crate) use setup::data_config;

use crate::context::device::{DeviceChoice, Selected, select};
use crate::context::load::load;
use crate::context::staging::Staging;
use crate::context::{LoadedData, OutputDirs};
use crate::execute::case::Case;
use crate::execute::measured::{Accumulator, MeasureInputs, Streams};
use crate::execute::trajectory::TrajectoryOutcome;
use crate::execute::{Outcome, Run, RunMeta};
use crate::report::{print_done, publish};
use anyhow::bail;
use clap::Parser;
use geotraj_denoise::NearestNeighbours;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, Parser)]
#[command(
    name = "run-experiment analyze",
    about = "Measure the geometry of trajectories another program wrote (npy + JSON sidecar, or safetensors)",
    after_help = "Examples:\n  \
        run-experiment analyze run/states-shapes-heun-18.npy --out analysed\n  \
        run-experiment analyze traj.safetensors --data cifar10.npz --out analysed\n  \
        run-experiment analyze x.npy --sigma 80,20,5,1,0 --out analysed"
)]
pub struct AnalyzeArgs {
    /// states-*.npy (K x (N+1) x item shape) or a .safetensors file.
    pub file: PathBuf,
    /// The JSON sidecar of an .npy file (default: export-*.json beside it).
    #[arg(long)]
    pub meta: Option<PathBuf>,
    /// The noise level of every state, comma-separated (N+1 values,
    /// decreasing); replaces the file's.
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    pub sigma: Option<Vec<f64>>,
    /// An experiment file: its [measures], [[figure]], batch size and the
    /// [[data]] set of the trajectories' label (or its only one).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The data set the data-relative measures (dist_K, nu, relative error,
    /// memorisation) are taken against: .npy, .npz, CIFAR-10 .bin or
    /// folder, *-ubyte IDX, or a folder of PNG files, scaled as geotraj
    /// scales data (pixels to [-1, 1]).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Where the nearest-neighbour search runs.
    #[arg(long, value_enum, default_value_t = DeviceChoice::Auto)]
    pub device: DeviceChoice,
    /// Where the tables, figures and report go (replaced whole, as a run's).
    #[arg(long)]
    pub out: PathBuf,
}

impl AnalyzeArgs {
    /// FILE into OUT, nothing else set.
    pub fn new(file: PathBuf, out: PathBuf) -> Self {
        AnalyzeArgs {
            file,
            meta: None,
            sigma: None,
            config: None,
            data: None,
            device: DeviceChoice::Cpu,
            out,
        }
    }
}

/// `analyze ARGS...` (without the word itself); the exit code.
pub fn main(argv: &[String]) -> i32 {
    let args = match AnalyzeArgs::try_parse_from(argv) {
        Ok(a) => a,
        Err(e) => e.exit(),
    };
    let mut full = vec!["run-experiment".to_string()];
    full.extend(argv.iter().cloned());
    match analyze_run(&args, &full) {
        Ok((run, written)) => {
            print_done(&run, &written);
            0
        }
        Err(e) => {
            eprintln!("error: {}", crate::message::message(&e));
            1
        }
    }
}

/// Reads, measures and publishes; returns the files written.
pub fn analyze(args: &AnalyzeArgs) -> anyhow::Result<Vec<PathBuf>> {
    let argv = ["run-experiment".to_string(), "analyze".to_string()];
    Ok(analyze_run(args, &argv)?.1)
}

fn analyze_run(args: &AnalyzeArgs, argv: &[String]) -> anyhow::Result<(Run, Vec<PathBuf>)> {
    let started_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let t0 = Instant::now();
    let loaded = read(&args.file, args.meta.as_deref(), args.sigma.as_deref())?;
    let (plan, config_text) = setup::plan(args.config.as_deref(), args.data.as_deref(), &loaded)?;
    let config = &plan.config;
    let t = &loaded.trajectories;
    let mut data = Vec::new();
    for d in &config.data {
        let set = load(d, config.seed)?;
        if set.d != t.d {
            bail!(
                "data \"{}\" ({}) has {} values per item, the trajectories {}",
                d.label(),
                set.source,
                set.d,
                t.d
            );
        }
        data.push(LoadedData {
            label: d.label(),
            data: Arc::new(set),
        });
    }
    let load_seconds = t0.elapsed().as_secs_f64();
    let staging = Staging::begin(&OutputDirs::new(&config.name, Some(&args.out)))?;
    let dirs = staging.dirs.clone();
    let result = (|| {
        let Selected {
            device,
            description,
        } = select(args.device)?;
        let set = data.first();
        let nearest = match (set, config.measures.distance) {
            (Some(l), true) => Some(NearestNeighbours::new(
                l.data.clone(),
                device.clone(),
                config.denoiser.chunk,
            )),
            _ => None,
        };
        let label = set.map_or(loaded.data.clone(), |l| l.label.clone());
        let t1 = Instant::now();
        let mut streams = Streams::new(&dirs.tables);
        let mut acc = Accumulator::new(
            config,
            MeasureInputs {
                data: &label,
                sampler: &loaded.sampler,
                solver: &loaded.solver,
                params: Default::default(),
                nfe: loaded.nfe,
                dataset: set.map(|l| l.data.as_ref()),
                nearest: nearest.as_ref(),
                euler: matches!(loaded.solver.as_str(), "euler" | "ddim"),
            },
            t.n,
        );
        for first in (0..t.n).step_by(config.batch_size.max(1)) {
            let rows = config.batch_size.max(1).min(t.n - first);
            acc.add(&t.rows(first, rows), first, &mut streams)?;
        }
        let m = acc.finish();
        let case = Case {
            data: label,
            sampler: loaded.sampler.clone(),
            solver: loaded.solver.clone(),
            n: t.n,
            item_shape: loaded.item_shape.clone(),
            head: m.head,
            final_samples: m.final_samples,
            measures: m.measures,
            exported: Vec::new(),
            views: m.views,
            seconds: t1.elapsed().as_secs_f64(),
            measure_seconds: m.measure_seconds,
            exact_rows: 0,
            exact_candidates: 0,
            pruning: Vec::new(),
            jump_quality: None,
        };
        anyhow::Ok((case, streams, description))
    })();
    // On an error, dropping `staging` removes the staged folders.
    let (case, streams, device) = result?;
    let mut run = Run {
        meta: RunMeta {
            device,
            dirs,
            staging,
            load_seconds,
            memory_estimate: 0.0,
            started_unix,
            config_path: args.config.clone().unwrap_or_else(|| args.file.clone()),
            reproduce: argv.join(" "),
            config_text,
        },
        data,
        model: None,
        outcome: Outcome::Trajectory(Box::new(TrajectoryOutcome {
            cases: vec![case],
            streams: Some(streams),
            fields: Vec::new(),
            gits: Vec::new(),
            gaps: Vec::new(),
        })),
        plan,
    };
    let written = publish(&mut run, argv)?;
    Ok((run, written))
}
