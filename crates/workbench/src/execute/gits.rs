//! GITS schedules in a run. The cost matrix depends on the denoiser, the
//! data, the grid and the `[schedule.gits]` settings, not on the solver that
//! will use the schedule nor on its step count, so one warm-up per data set
//! serves every (solver, steps) cell; each step count is one dynamic
//! program over it. Cost matrices are cached on disk under a key of
//! everything they depend on, checked in full on reading.

use crate::config::{Config, DataConfig, GitsConfig};
use crate::context::LoadedData;
use crate::context::fingerprint::{data_fingerprint, fnv1a};
use crate::context::noise;
use crate::context::progress::Progress;
use anyhow::Context as _;
use geotraj_sampling::gits::teacher_grid;
use geotraj_sampling::{Denoiser, gits_path, gits_teacher, teacher_costs};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Bumped whenever the cost computation changes, so old cache files miss.
const CACHE_VERSION: u64 = 1;

/// One data set's warm-up: the fine grid and its cost matrix.
#[derive(Debug, Clone)]
pub struct GitsWarmup {
    pub data: String,
    pub fine: Vec<f64>,
    /// Row-major fine.len()^2, NaN on and below the diagonal.
    pub costs: Vec<f64>,
    pub coefficient: f64,
    pub warmup: usize,
    pub teacher: String,
    pub cost: String,
    /// The cache file read or written, if caching is on.
    pub cache_file: Option<PathBuf>,
    pub from_cache: bool,
    pub seconds: f64,
}

impl GitsWarmup {
    /// The `steps`-step GITS schedule.
    pub fn sigmas(&self, steps: usize) -> anyhow::Result<Vec<f64>> {
        let path = gits_path(&self.costs, self.fine.len(), steps, self.coefficient)
            .with_context(|| format!("data \"{}\", GITS schedule", self.data))?;
        Ok(path.into_iter().map(|j| self.fine[j]).collect())
    }
}

/// Denoiser evaluations of one warm-up (for progress totals).
pub fn warmup_evals(config: &Config) -> usize {
    let g = config.schedule.gits();
    let grid = config.schedule.gits_grid().unwrap_or_default();
    if grid.len() < 2 {
        return 0;
    }
    let teacher = g.options(config.batch_size).teacher;
    teacher.nfe(&teacher_grid(&grid, g.teacher_substeps)) * g.warmup.div_ceil(config.batch_size)
}

/// The cache key of one data set's warm-up, as JSON text: everything the
/// cost matrix depends on, the data's values included (by fingerprint).
fn cache_key(
    config: &Config,
    dcfg: &DataConfig,
    loaded: &LoadedData,
    g: &GitsConfig,
    fine: &[f64],
) -> String {
    let data = &loaded.data;
    json!({
        "version": CACHE_VERSION,
        "data": dcfg,
        "data_n": data.n,
        "data_d": data.d,
        "data_fingerprint": data_fingerprint(data),
        "denoiser": config.denoiser,
        "seed": config.seed,
        "gits": g,
        "fine": fine,
    })
    .to_string()
}

/// Runs (or reads from `cache_dir`) the warm-up of one data set.
pub fn warm_up(
    config: &Config,
    dcfg: &DataConfig,
    loaded: &LoadedData,
    den: &dyn Denoiser,
    cache_dir: &Path,
    progress: &mut Progress,
) -> anyhow::Result<GitsWarmup> {
    let t = Instant::now();
    let g = config.schedule.gits();
    let fine = config.schedule.gits_grid()?;
    let options = g.options(config.batch_size);
    // (file, key): the key is only built, and the data only hashed, with caching on.
    let cache = g.cache.then(|| {
        let key = cache_key(config, dcfg, loaded, &g, &fine);
        let file = cache_dir.join(format!("{}-{:016x}.json", loaded.label, fnv1a(key.bytes())));
        (file, key)
    });
    let mut out = GitsWarmup {
        data: loaded.label.clone(),
        fine: fine.clone(),
        costs: Vec::new(),
        coefficient: g.coefficient,
        warmup: g.warmup,
        teacher: options.teacher.describe(),
        cost: g.cost.name().to_string(),
        cache_file: cache.as_ref().map(|(file, _)| file.clone()),
        from_cache: false,
        seconds: 0.0,
    };
    if let Some(costs) = cache
        .as_ref()
        .and_then(|(file, key)| read_cache(file, key, fine.len()))
    {
        for _ in 0..warmup_evals(config) {
            progress.tick();
        }
        out.costs = costs;
        out.from_cache = true;
        out.seconds = t.elapsed().as_secs_f64();
        return Ok(out);
    }
    progress.set_label(format!("{} GITS warm-up", loaded.label));
    let z = noise::warmup(config.seed, g.warmup, loaded.data.d);
    let teacher = gits_teacher(den, &fine, &z, &options, &mut || progress.tick())
        .with_context(|| format!("data \"{}\", GITS warm-up", loaded.label))?;
    out.costs = teacher_costs(&teacher, options.teacher_substeps, options.cost)
        .with_context(|| format!("data \"{}\", GITS costs", loaded.label))?;
    out.seconds = t.elapsed().as_secs_f64();
    if let Some((path, key)) = &cache {
        // A cache that cannot be written costs only time on the next run.
        if let Err(e) = write_cache(path, key, &out.costs, fine.len()) {
            eprintln!("warning: GITS cache {}: {e}", path.display());
        }
    }
    Ok(out)
}

/// The upper triangle, row by row, as f64 bit patterns: JSON has no NaN,
/// and integers read back exactly where decimal floats might not.
fn upper_bits(costs: &[f64], points: usize) -> Vec<u64> {
    (0..points)
        .flat_map(|i| (i + 1..points).map(move |j| costs[i * points + j].to_bits()))
        .collect()
}

fn write_cache(path: &Path, key: &str, costs: &[f64], points: usize) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let value = json!({ "key": key, "cost_bits": upper_bits(costs, points) });
    geotraj_records::write_json(path, &value).map_err(anyhow::Error::from)
}

/// The cached matrix, if the file exists and its key (a JSON text) matches in full.
fn read_cache(path: &Path, key: &str, points: usize) -> Option<Vec<f64>> {
    let text = std::fs::read_to_string(path).ok()?;
    let value: Value = serde_json::from_str(&text).ok()?;
    if value.get("key")?.as_str()? != key {
        return None;
    }
    let flat: Vec<f64> = value
        .get("cost_bits")?
        .as_array()?
        .iter()
        .map(|v| v.as_u64().map(f64::from_bits))
        .collect::<Option<_>>()?;
    if flat.len() != points * (points - 1) / 2 {
        return None;
    }
    let mut costs = vec![f64::NAN; points * points];
    let mut it = flat.into_iter();
    for i in 0..points {
        for j in i + 1..points {
            costs[i * points + j] = it.next()?;
        }
    }
    Some(costs)
}
