//! What `analyze` measures: the measures and figures of an experiment file
//! (`--config`) or of a default one, and the data set the data-relative
//! measures are taken against (the config's, or `--data FILE`).

use super::read::Loaded;
use crate::config::{Config, DataConfig, DataSource, FigureConfig, FigureKind, SplitName};
use crate::plan::{Plan, RunKind};
use anyhow::bail;
use std::path::Path;

/// The measures without a data set: the geometry, and the low-dimensional
/// structure with its 3-D views and the distance to x_N of x_n and D(x_n).
const DEFAULTS: &str = r#"
name = "analyze"
description = "Trajectories from a file, measured by run-experiment analyze"
data = []
[measures]
lowdim = true
[[figure]]
kind = "jump"
[[figure]]
kind = "low-dim"
"#;

/// With a data set, also these (Permenter & Yuan's error model, Chen et
/// al.'s denoising jump, memorisation).
const WITH_DATA: &[FigureKind] = &[
    FigureKind::DistanceToData,
    FigureKind::Nu,
    FigureKind::ErrorHistogram,
    FigureKind::Memorisation,
];

/// The plan of an analysis and the experiment text shown in its report.
pub fn plan(
    config_file: Option<&Path>,
    data_file: Option<&Path>,
    loaded: &Loaded,
) -> anyhow::Result<(Plan, String)> {
    let (mut config, text) = match config_file {
        Some(path) => {
            let (plan, text) = Plan::load_with_text(path, false)?;
            (plan.config, text)
        }
        None => (Config::from_toml(DEFAULTS)?, DEFAULTS.trim().to_string()),
    };
    match data_file {
        Some(path) => {
            config.data = vec![data_config(path, &loaded.data)?];
            if config_file.is_none() {
                config.measures.distance = true;
                config.measures.jump = true;
                config
                    .figure
                    .extend(WITH_DATA.iter().map(|&kind| FigureConfig {
                        kind,
                        measure: None,
                        sigmas: None,
                    }));
            }
        }
        None if config_file.is_some() => {
            config.data = vec![pick(&config.data, loaded)?];
        }
        None => {}
    }
    // Measures that need a denoiser or held-out data: the run's, not a file's.
    config.measures.jump_quality = false;
    config.measures.learned_vs_optimal = false;
    config.export = None;
    if config.data.is_empty() {
        config.measures.distance = false;
        config.measures.jump = false;
        config.measures.identity = 0;
        config.figure.retain(|f| !f.kind.needs_distance());
    }
    let plan = Plan {
        config,
        quick: false,
        kind: RunKind::Trajectory(Vec::new()),
    };
    Ok((plan, text))
}

/// The config's data set for these trajectories: the one with their label,
/// else the only one with their dimension.
fn pick(data: &[DataConfig], loaded: &Loaded) -> anyhow::Result<DataConfig> {
    if let Some(d) = data.iter().find(|d| d.label() == loaded.data) {
        return Ok(d.clone());
    }
    let labels: Vec<String> = data.iter().map(DataConfig::label).collect();
    match data {
        [one] => Ok(one.clone()),
        _ => bail!(
            "the trajectories' data is \"{}\", which is none of the config's data sets ({}): give one with --data",
            loaded.data,
            labels.join(", ")
        ),
    }
}

/// A `[[data]]` table for a data file, its kind from its name: a .npy
/// matrix, a .npz archive (one array), a CIFAR-10 .bin batch or folder, an
/// IDX image file (`*-ubyte`), or a folder of PNG files.
pub(crate) fn data_config(path: &Path, label: &str) -> anyhow::Result<DataConfig> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let p = path.to_path_buf();
    let source = if path.is_dir() {
        if path.join("data_batch_1.bin").exists() || path.join("test_batch.bin").exists() {
            DataSource::Cifar10 {
                path: p,
                split: SplitName::Train,
            }
        } else {
            DataSource::PngFolder { path: p }
        }
    } else if name.ends_with(".npy") {
        DataSource::Npy { path: p }
    } else if name.ends_with(".npz") {
        DataSource::Npz { path: p, key: None }
    } else if name.ends_with(".bin") {
        DataSource::Cifar10 {
            path: p,
            split: SplitName::Train,
        }
    } else if name.contains("-ubyte") {
        DataSource::Idx {
            images: p,
            labels: None,
        }
    } else {
        bail!(
            "--data {}: not a data file geotraj knows by its name (.npy, .npz, CIFAR-10 .bin or folder, *-ubyte IDX, a folder of PNG files); describe it in an experiment file's [[data]] and give that with --config",
            path.display()
        );
    };
    Ok(DataConfig {
        name: Some(label.to_string()),
        source,
        limit: None,
        held_out: None,
        denoiser: None,
    })
}
