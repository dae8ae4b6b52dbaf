//! Counter-based, stateless random numbers: every value is a pure function of
//! (seed, stream, counter), so results never depend on batching, thread count
//! or the order in which rows are generated.

use rayon::prelude::*;
use std::f64::consts::TAU;
use std::ops::Range;

/// SplitMix64's output finaliser: a bijection on u64 with full avalanche.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// 64 random bits for (seed, stream, counter). Each input is scaled by its
/// own odd constant and absorbed through a full mix, so nearby tuples such as
/// (s, 1, 0) and (s, 0, 1) land far apart; a final mix decorrelates the
/// counter's low bits.
fn bits(seed: u64, stream: u64, counter: u64) -> u64 {
    let mut h = mix(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x6A09_E667_F3BC_C909);
    h = mix(h ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
    h = mix(h ^ counter.wrapping_mul(0xAEF1_7502_108E_F2D9));
    mix(h.wrapping_add(0x8CB9_2BA7_2F3D_8DD7))
}

/// Top 53 bits k as k / 2^53, with k = 0 moved to 2^-54: never 0 (so `ln`
/// in Box–Muller stays finite) and never 1 (the largest value is 1 - 2^-53).
/// Centring every k by +0.5 instead would round the top value up to 1.0.
fn open_unit(b: u64) -> f64 {
    const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
    match b >> 11 {
        0 => 0.5 * SCALE,
        k => k as f64 * SCALE,
    }
}

/// Uniform in the open interval (0, 1) with 53 bits of resolution.
pub fn uniform(seed: u64, stream: u64, counter: u64) -> f64 {
    open_unit(bits(seed, stream, counter))
}

/// Standard normal by Box–Muller on the uniforms at counters 2k and 2k+1
/// (k = counter / 2): the cosine branch for even counters, sine for odd, so
/// each pair of counters yields two independent normals.
pub fn normal(seed: u64, stream: u64, counter: u64) -> f64 {
    let k = counter / 2;
    let u1 = uniform(seed, stream, 2 * k);
    let u2 = uniform(seed, stream, 2 * k + 1);
    let r = (-2.0 * u1.ln()).sqrt();
    let theta = TAU * u2;
    if counter.is_multiple_of(2) {
        r * theta.cos()
    } else {
        r * theta.sin()
    }
}

/// Sequential view of one (seed, stream). Uniform and normal draws share the
/// counter without ever reusing a uniform: a normal starts on an even counter
/// (its Box–Muller pair), and a uniform drawn after a lone cosine normal skips
/// the pair's second counter.
#[derive(Debug, Clone)]
pub struct Stream {
    seed: u64,
    stream: u64,
    next: u64,
    /// The previous draw was the cosine half of a pair whose sine is unused.
    pending_sin: bool,
}

impl Stream {
    pub fn new(seed: u64, stream: u64) -> Self {
        Stream {
            seed,
            stream,
            next: 0,
            pending_sin: false,
        }
    }

    pub fn uniform(&mut self) -> f64 {
        if self.pending_sin {
            self.next += 1;
            self.pending_sin = false;
        }
        let u = uniform(self.seed, self.stream, self.next);
        self.next += 1;
        u
    }

    pub fn normal(&mut self) -> f64 {
        if self.pending_sin {
            self.pending_sin = false;
        } else {
            self.next += self.next % 2;
            self.pending_sin = true;
        }
        let z = normal(self.seed, self.stream, self.next);
        self.next += 1;
        z
    }
}

/// Rows `rows` (absolute indices) of a standard-normal matrix with `d`
/// columns: row i is `normal(seed, i, 0..d)`, so any sub-range equals the
/// matching rows of a larger request. Generated in parallel over rows.
pub fn normal_rows(seed: u64, rows: Range<usize>, d: usize) -> Vec<f32> {
    let n = rows.len();
    if d == 0 || n == 0 {
        return Vec::new();
    }
    let mut out = vec![0.0f32; n * d];
    out.par_chunks_mut(d).enumerate().for_each(|(r, row)| {
        let stream = (rows.start + r) as u64;
        for (j, v) in row.iter_mut().enumerate() {
            *v = normal(seed, stream, j as u64) as f32;
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_sensitive_to_every_input() {
        assert_eq!(uniform(1, 2, 3), uniform(1, 2, 3));
        assert_eq!(normal(7, 0, 5), normal(7, 0, 5));
        let base = uniform(1, 2, 3);
        assert_ne!(base, uniform(2, 2, 3));
        assert_ne!(base, uniform(1, 3, 3));
        assert_ne!(base, uniform(1, 2, 4));
        // Swapping stream and counter must not collide.
        assert_ne!(uniform(5, 1, 0), uniform(5, 0, 1));
    }

    #[test]
    fn uniform_is_in_open_interval() {
        assert!(open_unit(0) > 0.0);
        assert!(open_unit(u64::MAX) < 1.0);
        assert_eq!(open_unit(u64::MAX), 1.0 - 2f64.powi(-53));
        assert_eq!(open_unit(1 << 11), 2f64.powi(-53));
        for c in 0..100_000 {
            let u = uniform(42, 3, c);
            assert!(u > 0.0 && u < 1.0, "{u}");
        }
    }

    #[test]
    fn uniform_moments() {
        let n = 200_000;
        let mean = (0..n).map(|c| uniform(9, 1, c)).sum::<f64>() / n as f64;
        // Uniform(0,1) has variance 1/12.
        let se = (1.0 / 12.0 / n as f64).sqrt();
        assert!((mean - 0.5).abs() < 4.0 * se, "mean {mean}");
    }

    #[test]
    fn normal_moments() {
        let n = 200_000u64;
        let xs: Vec<f64> = (0..n).map(|c| normal(123, 4, c)).collect();
        let nf = n as f64;
        let mean = xs.iter().sum::<f64>() / nf;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (nf - 1.0);
        assert!(mean.abs() < 4.0 / nf.sqrt(), "mean {mean}");
        // The sample variance of N(0,1) has standard error sqrt(2/n).
        assert!((var - 1.0).abs() < 4.0 * (2.0 / nf).sqrt(), "var {var}");
    }

    #[test]
    fn normal_rows_independent_of_range() {
        let d = 5;
        let all = normal_rows(11, 0..8, d);
        let part = normal_rows(11, 3..5, d);
        assert_eq!(all.len(), 8 * d);
        assert_eq!(part, all[3 * d..5 * d].to_vec());
        assert_eq!(all[2 * d + 1], normal(11, 2, 1) as f32);
        assert_ne!(all[..d], all[d..2 * d]);
        assert!(normal_rows(11, 0..4, 0).is_empty());
    }

    #[test]
    fn stream_matches_stateless_functions() {
        let mut s = Stream::new(3, 9);
        for c in 0..10 {
            assert_eq!(s.uniform(), uniform(3, 9, c));
        }
        let mut s = Stream::new(3, 9);
        for c in 0..10 {
            assert_eq!(s.normal(), normal(3, 9, c));
        }
    }

    #[test]
    fn stream_never_reuses_a_uniform() {
        // uniform (counter 0), normal (pair 2,3 cosine), uniform (skips 3 -> 4),
        // normal (pair 6,7 cosine), normal (sine 7).
        let mut s = Stream::new(1, 1);
        assert_eq!(s.uniform(), uniform(1, 1, 0));
        assert_eq!(s.normal(), normal(1, 1, 2));
        assert_eq!(s.uniform(), uniform(1, 1, 4));
        assert_eq!(s.normal(), normal(1, 1, 6));
        assert_eq!(s.normal(), normal(1, 1, 7));
        assert_eq!(s.uniform(), uniform(1, 1, 8));
    }
}
