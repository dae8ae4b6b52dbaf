//! An analytic Gaussian mixture law p(x) = sum_k w_k N(x; mu_k, V_k) with
//! isotropic (V_k = s_k^2 I) or diagonal covariances: validated construction,
//! exact log density, counter-based sampling and the presets experiments use.
//!
//! Sampling draws row i from its own random stream (stream id = i): counter 0
//! picks the component by inverse CDF of the weights, counters 2 + j give the
//! standard normal of dimension j. Row i therefore depends only on
//! (seed, i), never on n, batching or thread scheduling. As in `toys`, a
//! constant is folded into the seed so that a GMM sample never reuses the
//! normals of a sampler's initial noise (`rng::normal_rows`) with the same seed.

use crate::dataset::Dataset;
use crate::error::DataError;
use crate::rng::{normal, uniform};
use rayon::prelude::*;
use std::f64::consts::{PI, TAU};

/// Folded into the seed of `Gmm::sample`.
const GMM_SAMPLE: u64 = 0x474D_4D53_414D_504C;
/// Folded into the seed of `Gmm::random`.
const GMM_RANDOM: u64 = 0x474D_4D52_414E_444D;

/// Component covariances, all diagonal.
#[derive(Debug, Clone, PartialEq)]
pub enum Covariance {
    /// One variance per component: V_k = v_k I.
    Isotropic(Vec<f64>),
    /// k x d variances: V_k = diag(v_k1, ..., v_kd).
    Diagonal(Vec<Vec<f64>>),
}

/// A Gaussian mixture in d dimensions. Built through [`Gmm::new`] (or a
/// preset), its invariants hold: k >= 1 components, d >= 1, weights positive
/// and summing to 1, means finite, variances finite and positive.
#[derive(Debug, Clone, PartialEq)]
pub struct Gmm {
    /// Mixture weights, positive, summing to 1.
    pub weights: Vec<f64>,
    /// k x d component means.
    pub means: Vec<Vec<f64>>,
    pub covariance: Covariance,
}

fn invalid<T>(msg: String) -> Result<T, DataError> {
    Err(DataError::Invalid(format!("gmm: {msg}")))
}

/// Casts to f32 without overflowing to infinity for huge values.
fn to_f32(x: f64) -> f32 {
    x.clamp(-f64::from(f32::MAX), f64::from(f32::MAX)) as f32
}

impl Gmm {
    /// Validates and builds a mixture; the weights are normalised to sum 1.
    /// Every error names the offending component (and coordinate).
    pub fn new(
        weights: Vec<f64>,
        means: Vec<Vec<f64>>,
        covariance: Covariance,
    ) -> Result<Gmm, DataError> {
        let k = weights.len();
        if k == 0 {
            return invalid("no components (k = 0)".into());
        }
        if means.len() != k {
            return invalid(format!("{k} weights but {} means", means.len()));
        }
        let d = means[0].len();
        if d == 0 {
            return invalid("component 0 mean is empty, expected dimension d >= 1".into());
        }
        for (c, m) in means.iter().enumerate() {
            if m.len() != d {
                return invalid(format!(
                    "component {c} mean has {} values, expected {d} (the dimension of component 0)",
                    m.len()
                ));
            }
            if let Some(j) = m.iter().position(|v| !v.is_finite()) {
                return invalid(format!(
                    "component {c} mean[{j}] is {}, expected finite",
                    m[j]
                ));
            }
        }
        for (c, &w) in weights.iter().enumerate() {
            if !(w.is_finite() && w > 0.0) {
                return invalid(format!(
                    "component {c} weight is {w}, expected finite positive"
                ));
            }
        }
        let check = |c: usize, what: String, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                invalid(format!(
                    "component {c} {what} is {v}, expected finite positive"
                ))
            }
        };
        match &covariance {
            Covariance::Isotropic(vars) => {
                if vars.len() != k {
                    return invalid(format!(
                        "{k} components but {} isotropic variances",
                        vars.len()
                    ));
                }
                for (c, &v) in vars.iter().enumerate() {
                    check(c, "variance".into(), v)?;
                }
            }
            Covariance::Diagonal(vars) => {
                if vars.len() != k {
                    return invalid(format!(
                        "{k} components but {} rows of diagonal variances",
                        vars.len()
                    ));
                }
                for (c, row) in vars.iter().enumerate() {
                    if row.len() != d {
                        return invalid(format!(
                            "component {c} has {} diagonal variances, expected {d}",
                            row.len()
                        ));
                    }
                    for (j, &v) in row.iter().enumerate() {
                        check(c, format!("variance[{j}]"), v)?;
                    }
                }
            }
        }
        // Divide by the largest weight first so the sum cannot overflow.
        let max = weights.iter().copied().fold(0.0, f64::max);
        let scaled: Vec<f64> = weights.iter().map(|w| w / max).collect();
        let total: f64 = scaled.iter().sum();
        let weights = scaled.iter().map(|w| w / total).collect();
        Ok(Gmm {
            weights,
            means,
            covariance,
        })
    }

    /// The dimension d.
    pub fn dim(&self) -> usize {
        self.means[0].len()
    }

    /// The number of components k.
    pub fn components(&self) -> usize {
        self.weights.len()
    }

    /// The d per-dimension variances of component `k` (the diagonal of V_k).
    /// Panics if `k >= self.components()`.
    pub fn variances(&self, k: usize) -> impl ExactSizeIterator<Item = f64> + '_ {
        assert!(
            k < self.components(),
            "gmm: component {k} out of range (k = {})",
            self.components()
        );
        (0..self.dim()).map(move |j| match &self.covariance {
            Covariance::Isotropic(v) => v[k],
            Covariance::Diagonal(v) => v[k][j],
        })
    }

    /// "isotropic" or "diagonal", for descriptions.
    pub fn covariance_kind(&self) -> &'static str {
        match self.covariance {
            Covariance::Isotropic(_) => "isotropic",
            Covariance::Diagonal(_) => "diagonal",
        }
    }

    /// The component an open-interval uniform `u` selects by inverse CDF of
    /// the weights.
    fn pick(cumulative: &[f64], u: f64) -> usize {
        // The last cumulative weight may round below 1: clamp to the last.
        cumulative
            .partition_point(|&c| c <= u)
            .min(cumulative.len() - 1)
    }

    /// `n` rows (raised to 1 if zero) of the law, item shape [d]. Row i is a
    /// pure function of (seed, i), so the first m rows of `sample(n)` equal
    /// `sample(m)`. Labels are the component indices when k <= 256 (they are
    /// stored as u8), none otherwise. `source` is recorded verbatim.
    pub fn sample(&self, n: usize, seed: u64, source: &str) -> Dataset {
        let n = n.max(1);
        let d = self.dim();
        let seed = seed ^ GMM_SAMPLE;
        let cumulative: Vec<f64> = self
            .weights
            .iter()
            .scan(0.0, |acc, w| {
                *acc += w;
                Some(*acc)
            })
            .collect();
        let stds: Vec<Vec<f64>> = (0..self.components())
            .map(|k| self.variances(k).map(f64::sqrt).collect())
            .collect();
        let comps: Vec<usize> = (0..n)
            .into_par_iter()
            .map(|i| Self::pick(&cumulative, uniform(seed, i as u64, 0)))
            .collect();
        let mut rows = vec![0.0f32; n * d];
        rows.par_chunks_mut(d)
            .zip(comps.par_iter())
            .enumerate()
            .for_each(|(i, (row, &c))| {
                for (j, v) in row.iter_mut().enumerate() {
                    let z = normal(seed, i as u64, 2 + j as u64);
                    *v = to_f32(self.means[c][j] + stds[c][j] * z);
                }
            });
        let labels = (self.components() <= 256).then(|| comps.iter().map(|&c| c as u8).collect());
        Dataset {
            rows,
            n,
            d,
            item_shape: vec![d],
            labels,
            source: source.to_string(),
        }
    }

    /// ln N(x; mu_k, V_k) + ln w_k, from direct differences (x_j - mu_kj).
    fn log_joint(&self, k: usize, x: &[f64]) -> f64 {
        let quad_and_logdet: f64 = x
            .iter()
            .zip(&self.means[k])
            .zip(self.variances(k))
            .map(|((&xj, &mj), v)| {
                let r = xj - mj;
                r * r / v + (TAU * v).ln()
            })
            .sum();
        self.weights[k].ln() - 0.5 * quad_and_logdet
    }

    /// The exact log density ln p(x), a max-subtracted log-sum-exp over the
    /// components. Panics if `x.len() != self.dim()`.
    pub fn log_density(&self, x: &[f64]) -> f64 {
        assert_eq!(
            x.len(),
            self.dim(),
            "gmm: log_density of a point of dimension {}, expected {}",
            x.len(),
            self.dim()
        );
        let logs: Vec<f64> = (0..self.components())
            .map(|k| self.log_joint(k, x))
            .collect();
        let max = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if max == f64::NEG_INFINITY {
            return max;
        }
        max + logs.iter().map(|l| (l - max).exp()).sum::<f64>().ln()
    }

    /// `k` equal-weight isotropic components of standard deviation `std` in
    /// 2-D, centred at radius * (cos 2πi/k, sin 2πi/k).
    ///
    /// # Panics
    /// If k = 0, the radius is not finite, or std is not finite and positive
    /// (the message is `Gmm::new`'s).
    pub fn ring(k: usize, radius: f64, std: f64) -> Gmm {
        let means = (0..k)
            .map(|i| {
                let angle = 2.0 * PI * i as f64 / k as f64;
                vec![radius * angle.cos(), radius * angle.sin()]
            })
            .collect();
        Gmm::new(
            vec![1.0; k],
            means,
            Covariance::Isotropic(vec![std * std; k]),
        )
        .unwrap_or_else(|e| panic!("Gmm::ring(k={k}, radius={radius}, std={std}): {e}"))
    }

    /// A random mixture of `k` components in `d` dimensions, a pure function
    /// of its arguments: means N(0, spread^2 I); weights uniform in
    /// [0.5, 1.5], normalised; standard deviations uniform in `std_range`
    /// (one per component, or one per component and dimension if
    /// `diagonal`), squared into variances.
    ///
    /// Component c draws from streams 3c (mean normals, counter j),
    /// 3c + 1 (weight, counter 0) and 3c + 2 (standard deviations, counter
    /// j, or 0 when isotropic).
    ///
    /// # Panics
    /// If k = 0, d = 0, spread is not finite, or std_range is not within
    /// finite positive numbers (the message is `Gmm::new`'s).
    pub fn random(
        k: usize,
        d: usize,
        spread: f64,
        std_range: (f64, f64),
        diagonal: bool,
        seed: u64,
    ) -> Gmm {
        let stream_seed = seed ^ GMM_RANDOM;
        let (lo, hi) = std_range;
        let var = |c: usize, j: usize| {
            let s = lo + (hi - lo) * uniform(stream_seed, 3 * c as u64 + 2, j as u64);
            s * s
        };
        let means = (0..k)
            .map(|c| {
                (0..d)
                    .map(|j| spread * normal(stream_seed, 3 * c as u64, j as u64))
                    .collect()
            })
            .collect();
        let weights = (0..k)
            .map(|c| 0.5 + uniform(stream_seed, 3 * c as u64 + 1, 0))
            .collect();
        let covariance = if diagonal {
            Covariance::Diagonal(
                (0..k)
                    .map(|c| (0..d).map(|j| var(c, j)).collect())
                    .collect(),
            )
        } else {
            Covariance::Isotropic((0..k).map(|c| var(c, 0)).collect())
        };
        Gmm::new(weights, means, covariance).unwrap_or_else(|e| {
            panic!(
                "Gmm::random(k={k}, d={d}, spread={spread}, std_range={std_range:?}, \
                 diagonal={diagonal}, seed={seed}): {e}"
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column_moments(ds: &Dataset, j: usize, rows: &[usize]) -> (f64, f64) {
        let n = rows.len() as f64;
        let mean = rows.iter().map(|&i| f64::from(ds.row(i)[j])).sum::<f64>() / n;
        let var = rows
            .iter()
            .map(|&i| (f64::from(ds.row(i)[j]) - mean).powi(2))
            .sum::<f64>()
            / (n - 1.0);
        (mean, var)
    }

    #[test]
    fn one_component_sample_moments() {
        let means = vec![vec![1.0, -2.0, 0.5]];
        let vars = vec![vec![0.25, 4.0, 1.0]];
        let g = Gmm::new(vec![3.0], means.clone(), Covariance::Diagonal(vars.clone())).unwrap();
        assert_eq!(g.weights, vec![1.0]);
        let n = 40_000;
        let ds = g.sample(n, 3, "one");
        assert_eq!((ds.n, ds.d, ds.item_shape.clone()), (n, 3, vec![3]));
        assert_eq!(ds.source, "one");
        assert!(ds.labels.as_ref().unwrap().iter().all(|&l| l == 0));
        let all: Vec<usize> = (0..n).collect();
        let nf = n as f64;
        for j in 0..3 {
            let (m, v) = column_moments(&ds, j, &all);
            let (mu, var) = (means[0][j], vars[0][j]);
            // Standard errors: sqrt(var / n) for the mean, var sqrt(2 / n) for the variance.
            assert!(
                (m - mu).abs() < 5.0 * (var / nf).sqrt(),
                "dim {j}: mean {m}"
            );
            assert!(
                (v - var).abs() < 5.0 * var * (2.0 / nf).sqrt(),
                "dim {j}: var {v}"
            );
        }
    }

    #[test]
    fn component_frequencies_match_weights() {
        let g = Gmm::random(6, 2, 3.0, (0.1, 0.5), false, 17);
        let n = 60_000;
        let ds = g.sample(n, 5, "freq");
        let labels = ds.labels.as_ref().unwrap();
        let mut counts = vec![0usize; g.components()];
        for &l in labels {
            counts[usize::from(l)] += 1;
        }
        // Pearson chi-square with 5 degrees of freedom: P(X > 30) ~ 1.5e-5.
        let chi2: f64 = counts
            .iter()
            .zip(&g.weights)
            .map(|(&c, &w)| {
                let e = w * n as f64;
                (c as f64 - e).powi(2) / e
            })
            .sum();
        assert!(
            chi2 < 30.0,
            "chi2 {chi2}, counts {counts:?}, weights {:?}",
            g.weights
        );
        // Within-component moments follow the component's law.
        for c in 0..g.components() {
            let rows: Vec<usize> = (0..n).filter(|&i| usize::from(labels[i]) == c).collect();
            let v = g.variances(c).next().unwrap();
            let (m, _) = column_moments(&ds, 1, &rows);
            let tol = 5.0 * (v / rows.len() as f64).sqrt();
            assert!((m - g.means[c][1]).abs() < tol, "component {c}: mean {m}");
        }
    }

    #[test]
    fn ring_density_integrates_to_one() {
        let g = Gmm::ring(8, 2.0, 0.3);
        assert_eq!((g.components(), g.dim()), (8, 2));
        assert!((g.means[2][0]).abs() < 1e-12 && (g.means[2][1] - 2.0).abs() < 1e-12);
        // Midpoint rule on [-4, 4]^2: the mass outside is below e^-20.
        let (lo, h, m) = (-4.0, 0.02, 400);
        let total: f64 = (0..m)
            .into_par_iter()
            .map(|a| {
                let x = lo + (a as f64 + 0.5) * h;
                (0..m)
                    .map(|b| g.log_density(&[x, lo + (b as f64 + 0.5) * h]).exp())
                    .sum::<f64>()
            })
            .sum::<f64>()
            * h
            * h;
        assert!((total - 1.0).abs() < 1e-6, "integral {total}");
    }

    #[test]
    fn log_density_of_one_isotropic_component_is_closed_form() {
        let (mu, s2) = ([0.5, -1.0, 2.0, 0.0], 0.7);
        let g = Gmm::new(
            vec![1.0],
            vec![mu.to_vec()],
            Covariance::Isotropic(vec![s2]),
        )
        .unwrap();
        for x in [
            [0.5, -1.0, 2.0, 0.0],
            [1.0, 2.0, -3.0, 4.0],
            [40.0, 0.0, 0.0, -40.0],
        ] {
            let r2: f64 = x.iter().zip(mu).map(|(a, b)| (a - b) * (a - b)).sum();
            let exact = -2.0 * (2.0 * PI * s2).ln() - r2 / (2.0 * s2);
            let got = g.log_density(&x);
            assert!(
                (got - exact).abs() <= 1e-12 * exact.abs().max(1.0),
                "{got} vs {exact}"
            );
        }
    }

    #[test]
    fn log_density_is_stable_far_from_every_component() {
        let g = Gmm::ring(4, 1.0, 0.01);
        let l = g.log_density(&[1e4, 0.0]);
        assert!(l.is_finite() && l < -1e11, "{l}");
    }

    #[test]
    fn sample_is_independent_of_n_and_deterministic() {
        let g = Gmm::random(5, 3, 2.0, (0.2, 0.8), true, 1);
        let (m, big) = (37, g.sample(74, 9, "s"));
        let small = g.sample(m, 9, "s");
        assert_eq!(small.rows[..], big.rows[..m * 3]);
        assert_eq!(
            small.labels.as_ref().unwrap()[..],
            big.labels.as_ref().unwrap()[..m]
        );
        assert_eq!(big, g.sample(74, 9, "s"));
        assert_ne!(big.rows, g.sample(74, 10, "s").rows);
        assert_eq!(g.sample(0, 9, "s").n, 1);
        // Not the sampler's initial noise for the same seed.
        assert_ne!(
            Gmm::ring(1, 0.0, 1.0).sample(4, 9, "s").rows,
            crate::rng::normal_rows(9, 0..4, 2)
        );
    }

    #[test]
    fn many_components_have_no_labels() {
        let g = Gmm::random(300, 1, 1.0, (0.5, 0.5), false, 2);
        assert!(g.sample(10, 0, "s").labels.is_none());
    }

    #[test]
    fn random_preset_respects_its_ranges() {
        let (k, d) = (7, 4);
        for diagonal in [false, true] {
            let g = Gmm::random(k, d, 2.0, (0.3, 0.6), diagonal, 11);
            assert_eq!(g, Gmm::random(k, d, 2.0, (0.3, 0.6), diagonal, 11));
            assert_ne!(g, Gmm::random(k, d, 2.0, (0.3, 0.6), diagonal, 12));
            assert_eq!(
                g.covariance_kind(),
                if diagonal { "diagonal" } else { "isotropic" }
            );
            assert!((g.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            let (wmin, wmax) = g
                .weights
                .iter()
                .fold((f64::MAX, 0.0f64), |(a, b), &w| (a.min(w), b.max(w)));
            assert!(wmax / wmin <= 3.0, "{:?}", g.weights);
            for c in 0..k {
                let vars: Vec<f64> = g.variances(c).collect();
                assert_eq!(vars.len(), d);
                assert!(vars.iter().all(|&v| (0.09..=0.36).contains(&v)), "{vars:?}");
                if !diagonal {
                    assert!(vars.iter().all(|&v| v == vars[0]));
                }
            }
        }
        let g = Gmm::random(1, 3, 0.0, (1.0, 1.0), false, 0);
        assert_eq!(g.means, vec![vec![0.0; 3]]);
    }

    fn err(w: Vec<f64>, m: Vec<Vec<f64>>, c: Covariance) -> String {
        Gmm::new(w, m, c).unwrap_err().to_string()
    }

    #[test]
    fn new_rejects_bad_input_naming_the_component() {
        let iso = |v: Vec<f64>| Covariance::Isotropic(v);
        let means = || vec![vec![0.0, 0.0], vec![1.0, 1.0], vec![2.0, 2.0]];
        let e = err(vec![1.0; 3], means(), iso(vec![1.0, 1.0, -1.0]));
        assert_eq!(
            e,
            "gmm: component 2 variance is -1, expected finite positive"
        );
        let e = err(vec![1.0, 0.0, 1.0], means(), iso(vec![1.0; 3]));
        assert!(e.contains("component 1 weight is 0"), "{e}");
        let e = err(vec![1.0, 1.0, f64::NAN], means(), iso(vec![1.0; 3]));
        assert!(e.contains("component 2 weight is NaN"), "{e}");
        let mut m = means();
        m[1][1] = f64::INFINITY;
        let e = err(vec![1.0; 3], m, iso(vec![1.0; 3]));
        assert!(e.contains("component 1 mean[1] is inf"), "{e}");
        let mut m = means();
        m[2].push(0.0);
        let e = err(vec![1.0; 3], m, iso(vec![1.0; 3]));
        assert!(
            e.contains("component 2 mean has 3 values, expected 2"),
            "{e}"
        );
        let e = err(
            vec![1.0; 3],
            means(),
            Covariance::Diagonal(vec![vec![1.0; 2], vec![1.0, 0.0], vec![1.0; 2]]),
        );
        assert!(e.contains("component 1 variance[1] is 0"), "{e}");
        let e = err(
            vec![1.0; 3],
            means(),
            Covariance::Diagonal(vec![vec![1.0; 2], vec![1.0; 2], vec![1.0]]),
        );
        assert!(
            e.contains("component 2 has 1 diagonal variances, expected 2"),
            "{e}"
        );
        let e = err(vec![1.0; 3], means(), iso(vec![1.0; 2]));
        assert!(e.contains("3 components but 2"), "{e}");
        let e = err(vec![1.0; 2], means(), iso(vec![1.0; 3]));
        assert!(e.contains("2 weights but 3 means"), "{e}");
        let e = err(vec![], vec![], iso(vec![]));
        assert!(e.contains("no components"), "{e}");
        let e = err(vec![1.0], vec![vec![]], iso(vec![1.0]));
        assert!(e.contains("component 0 mean is empty"), "{e}");
        // Huge but finite weights normalise without overflow.
        let g = Gmm::new(vec![1e308, 1e308], vec![vec![0.0]; 2], iso(vec![1.0; 2])).unwrap();
        assert_eq!(g.weights, vec![0.5, 0.5]);
    }
}
