//! The run's randomness: starting noise row i depends only on (seed, i) and
//! step noise on (seed, i, step), never on batching or threads.

use anyhow::{Context, bail};
use geotraj_data::rng;
use geotraj_sampling::StepNoise;
use std::path::Path;

/// Added to the seed for the starting noise, so that noise row i and a
/// generated data item i never share a random stream.
const NOISE_SEED_OFFSET: u64 = 0x9E37_79B9_7F4A_7C15;
/// Added to the seed for the stochastic samplers' step noise.
const STEP_SEED_OFFSET: u64 = 0xD1B5_4A32_D192_ED03;
/// Added to the seed for GITS warm-up noise: a schedule fitted on the very
/// noise it is judged on would flatter itself.
const WARMUP_SEED_OFFSET: u64 = 0x94D0_49BB_1331_11EB;

/// n x d standard-normal starting noise.
pub fn starting(seed: u64, n: usize, d: usize) -> Vec<f32> {
    starting_rows(seed, 0..n, d)
}

/// Rows `rows` of the same starting noise (a streamed run's batch).
pub fn starting_rows(seed: u64, rows: std::ops::Range<usize>, d: usize) -> Vec<f32> {
    rng::normal_rows(seed.wrapping_add(NOISE_SEED_OFFSET), rows, d)
}

/// n x d standard-normal noise of the GITS warm-up trajectories.
pub fn warmup(seed: u64, n: usize, d: usize) -> Vec<f32> {
    rng::normal_rows(seed.wrapping_add(WARMUP_SEED_OFFSET), 0..n, d)
}

/// Step noise of trajectory i at step n: stream i, counters n*d .. (n+1)*d.
pub struct Keyed {
    seed: u64,
}

impl Keyed {
    pub fn new(seed: u64) -> Self {
        Keyed {
            seed: seed.wrapping_add(STEP_SEED_OFFSET),
        }
    }
}

impl StepNoise for Keyed {
    fn fill(&self, trajectory: usize, step: usize, out: &mut [f32]) {
        let d = out.len() as u64;
        for (j, o) in out.iter_mut().enumerate() {
            *o = rng::normal(self.seed, trajectory as u64, step as u64 * d + j as u64) as f32;
        }
    }
}

/// A (rows x d) float .npy of starting noise, every value finite.
pub fn read_file(path: &Path) -> anyhow::Result<(Vec<usize>, Vec<f32>)> {
    let (shape, values) = geotraj_data::npy::read_npy_f32(path).context("noise.file")?;
    if let Some(p) = values.iter().position(|v| !v.is_finite()) {
        bail!("{}: noise.file value {p} is not finite", path.display());
    }
    Ok((shape, values))
}
