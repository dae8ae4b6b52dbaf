//! The exact denoiser of Gaussian-mixture data x0 ~ sum_k w_k N(mu_k, V_k),
//! V_k diagonal, observed as x = x0 + sigma eps:
//! D(x; sigma) = sum_k pi_k(x) [mu_k + V_k (V_k + sigma^2 I)^-1 (x - mu_k)],
//! pi_k(x) ∝ w_k N(x; mu_k, V_k + sigma^2 I).
//!
//! Computed on the host in f64, row by row in parallel: squared distances
//! from direct differences (x_j - mu_kj) (no expanded-square cancellation)
//! and responsibilities from a max-subtracted log-sum-exp, so the result is
//! exact to f64 rounding at every sigma before its final cast to f32.

use geotraj_data::Gmm;
use geotraj_sampling::{Denoiser, Device, Tensor, host};
use rayon::prelude::*;

pub struct GmmDenoiser {
    gmm: Gmm,
    /// k x d variances, row-major.
    vars: Vec<f64>,
    /// k x d means, row-major.
    means: Vec<f64>,
    log_weights: Vec<f64>,
    device: Device,
}

/// The law at one sigma: per component the log normaliser of
/// N(mu_k, V_k + sigma^2 I) plus ln w_k, the inverse widened variances and
/// the gains V_k (V_k + sigma^2)^-1, all k x d row-major.
struct Widened {
    log_norm: Vec<f64>,
    inv_var: Vec<f64>,
    gain: Vec<f64>,
}

impl GmmDenoiser {
    pub fn new(gmm: Gmm, device: Device) -> Self {
        let k = gmm.components();
        let vars = (0..k).flat_map(|c| gmm.variances(c)).collect();
        let means = gmm.means.iter().flatten().copied().collect();
        let log_weights = gmm.weights.iter().map(|w| w.ln()).collect();
        Self {
            gmm,
            vars,
            means,
            log_weights,
            device,
        }
    }

    /// The mixture this denoiser is exact for.
    pub fn gmm(&self) -> &Gmm {
        &self.gmm
    }

    fn widen(&self, sigma: f64) -> Widened {
        let d = self.gmm.dim();
        let s2 = sigma * sigma;
        let total: Vec<f64> = self.vars.iter().map(|v| v + s2).collect();
        // The common (2 pi)^(-d/2) cancels in the responsibilities.
        let log_norm = self
            .log_weights
            .iter()
            .zip(total.chunks_exact(d))
            .map(|(lw, t)| lw - 0.5 * t.iter().map(|t| t.ln()).sum::<f64>())
            .collect();
        let inv_var = total.iter().map(|t| 1.0 / t).collect();
        let gain = self.vars.iter().zip(&total).map(|(v, t)| v / t).collect();
        Widened {
            log_norm,
            inv_var,
            gain,
        }
    }

    /// D(x; sigma) for one row `x` into `out`; `logits` is scratch of length k.
    fn denoise_row(&self, w: &Widened, x: &[f64], logits: &mut [f64], out: &mut [f64]) {
        let d = x.len();
        for (c, logit) in logits.iter_mut().enumerate() {
            let mu = &self.means[c * d..(c + 1) * d];
            let inv = &w.inv_var[c * d..(c + 1) * d];
            let quad: f64 = x
                .iter()
                .zip(mu)
                .zip(inv)
                .map(|((&xj, &mj), &iv)| {
                    let r = xj - mj;
                    r * r * iv
                })
                .sum();
            *logit = w.log_norm[c] - 0.5 * quad;
        }
        let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut total = 0.0;
        for l in logits.iter_mut() {
            *l = (*l - max).exp();
            total += *l;
        }
        out.fill(0.0);
        for (c, &p) in logits.iter().enumerate() {
            if p == 0.0 {
                continue;
            }
            let pi = p / total;
            let mu = &self.means[c * d..(c + 1) * d];
            let gain = &w.gain[c * d..(c + 1) * d];
            for (((o, &xj), &mj), &g) in out.iter_mut().zip(x).zip(mu).zip(gain) {
                *o += pi * (mj + g * (xj - mj));
            }
        }
    }

    /// D(x; sigma) for one row in f64. `sigma` must be positive and finite
    /// (the denoiser's contract); `x.len()` must equal the dimension.
    pub fn denoise_f64(&self, x: &[f64], sigma: f64) -> Vec<f64> {
        let d = self.gmm.dim();
        assert_eq!(
            x.len(),
            d,
            "GmmDenoiser: a row of {} values, expected d = {d}",
            x.len()
        );
        let w = self.widen(sigma);
        let mut logits = vec![0.0; self.gmm.components()];
        let mut out = vec![0.0; d];
        self.denoise_row(&w, x, &mut logits, &mut out);
        out
    }
}

impl Denoiser for GmmDenoiser {
    /// The exact posterior mean for each row; `sigma` must be positive and
    /// finite.
    fn denoise(&self, x: Tensor<2>, sigma: f64) -> Tensor<2> {
        let (d, k) = (self.gmm.dim(), self.gmm.components());
        let [b, cols] = x.dims();
        assert_eq!(
            cols, d,
            "GmmDenoiser: rows of {cols} values, expected d = {d}"
        );
        let host_x = host::download(x);
        let w = self.widen(sigma);
        let mut out = vec![0.0f32; b * d];
        out.par_chunks_mut(d)
            .zip(host_x.par_chunks(d))
            .for_each_init(
                || (vec![0.0f64; d], vec![0.0f64; k], vec![0.0f64; d]),
                |(xr, logits, or), (o, xi)| {
                    for (a, &v) in xr.iter_mut().zip(xi) {
                        *a = f64::from(v);
                    }
                    self.denoise_row(&w, xr, logits, or);
                    for (a, &v) in o.iter_mut().zip(or.iter()) {
                        *a = v as f32;
                    }
                },
            );
        host::upload(&out, b, d, &self.device)
    }

    fn dim(&self) -> usize {
        self.gmm.dim()
    }

    fn device(&self) -> Device {
        self.device.clone()
    }

    fn describe(&self) -> String {
        format!(
            "analytic GMM, k = {}, d = {}, {} covariance",
            self.gmm.components(),
            self.gmm.dim(),
            self.gmm.covariance_kind()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geotraj_data::{Covariance, rng};

    fn norm(v: &[f64]) -> f64 {
        v.iter().map(|a| a * a).sum::<f64>().sqrt()
    }

    fn dist(a: &[f64], b: &[f64]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y) * (x - y))
            .sum::<f64>()
            .sqrt()
    }

    fn rows_f64(ds: &geotraj_data::Dataset) -> Vec<Vec<f64>> {
        (0..ds.n)
            .map(|i| ds.row(i).iter().map(|&v| f64::from(v)).collect())
            .collect()
    }

    #[test]
    fn one_isotropic_component_is_closed_form() {
        let (mu, s2) = (vec![1.0, -2.0, 0.5], 0.36);
        let gmm = Gmm::new(vec![1.0], vec![mu.clone()], Covariance::Isotropic(vec![s2])).unwrap();
        let den = GmmDenoiser::new(gmm, Device::flex());
        assert_eq!(den.dim(), 3);
        assert!(den.describe().contains("k = 1"), "{}", den.describe());
        for sigma in [0.002, 0.1, 1.0, 80.0] {
            for x in [[0.0, 0.0, 0.0], [3.0, -1.0, 7.0], [-50.0, 20.0, 1e3]] {
                let got = den.denoise_f64(&x, sigma);
                let a = s2 / (s2 + sigma * sigma);
                for j in 0..3 {
                    let exact = mu[j] + a * (x[j] - mu[j]);
                    assert!(
                        (got[j] - exact).abs() <= 1e-13 * exact.abs().max(1.0),
                        "sigma {sigma}, dim {j}: {} vs {exact}",
                        got[j]
                    );
                }
            }
        }
    }

    /// Tweedie: D(x; sigma) = x + sigma^2 ∇ ln p_sigma(x), p_sigma the law
    /// with every variance widened by sigma^2; the gradient by central
    /// differences of `Gmm::log_density`.
    #[test]
    fn tweedie_identity_on_random_diagonal_gmm() {
        let gmm = Gmm::random(4, 3, 2.0, (0.3, 1.0), true, 5);
        let den = GmmDenoiser::new(gmm.clone(), Device::flex());
        for sigma in [0.05, 0.5, 5.0] {
            let s2 = sigma * sigma;
            let widened_vars = (0..gmm.components())
                .map(|c| gmm.variances(c).map(|v| v + s2).collect())
                .collect();
            let p = Gmm::new(
                gmm.weights.clone(),
                gmm.means.clone(),
                Covariance::Diagonal(widened_vars),
            )
            .unwrap();
            let h = 1e-4 * (0.09 + s2).sqrt();
            let mut points = rows_f64(&p.sample(12, 3, "p"));
            // Between components too, where responsibilities are mixed.
            points.push(
                (0..3)
                    .map(|j| 0.5 * (gmm.means[0][j] + gmm.means[1][j]))
                    .collect(),
            );
            for x in points {
                let d = den.denoise_f64(&x, sigma);
                let shift: Vec<f64> = (0..3)
                    .map(|j| {
                        let (mut xp, mut xm) = (x.clone(), x.clone());
                        xp[j] += h;
                        xm[j] -= h;
                        s2 * (p.log_density(&xp) - p.log_density(&xm)) / (2.0 * h)
                    })
                    .collect();
                let want: Vec<f64> = x.iter().zip(&shift).map(|(a, b)| a + b).collect();
                let err = dist(&d, &want);
                assert!(
                    err <= 1e-6 * norm(&shift).max(1e-3),
                    "sigma {sigma}, x {x:?}: D {d:?} vs x + s2 grad {want:?} (err {err:e})"
                );
            }
        }
    }

    #[test]
    fn small_sigma_follows_the_nearest_component() {
        let gmm = Gmm::ring(4, 10.0, 0.5);
        let den = GmmDenoiser::new(gmm, Device::flex());
        let (x, sigma) = ([10.3, -0.2], 0.1);
        let a = 0.25 / (0.25 + sigma * sigma);
        let got = den.denoise_f64(&x, sigma);
        let want = [10.0 + a * 0.3, a * -0.2];
        assert!(dist(&got, &want) < 1e-12, "{got:?} vs {want:?}");
        // Far outside, at the smallest EDM sigma: the logits are of order
        // -1e11 yet the result is finite and exactly component 0's (at
        // (10, 0), the nearest) posterior mean.
        let (x, sigma) = ([1e3, 30.0], 0.002);
        let a = 0.25 / (0.25 + sigma * sigma);
        let got = den.denoise_f64(&x, sigma);
        let want = [10.0 + a * (x[0] - 10.0), a * x[1]];
        assert!(dist(&got, &want) < 1e-9, "{got:?} vs {want:?}");
    }

    #[test]
    fn huge_sigma_gives_the_weighted_mean_of_the_means() {
        let gmm = Gmm::random(5, 3, 2.0, (0.2, 0.6), true, 8);
        let den = GmmDenoiser::new(gmm.clone(), Device::flex());
        let mean: Vec<f64> = (0..3)
            .map(|j| {
                gmm.weights
                    .iter()
                    .zip(&gmm.means)
                    .map(|(w, m)| w * m[j])
                    .sum()
            })
            .collect();
        // Unequal weights: the weighted mean differs from the plain one.
        let plain: Vec<f64> = (0..3)
            .map(|j| gmm.means.iter().map(|m| m[j]).sum::<f64>() / 5.0)
            .collect();
        assert!(dist(&mean, &plain) > 1e-3);
        for x in [[0.0, 0.0, 0.0], [30.0, -10.0, 5.0]] {
            let got = den.denoise_f64(&x, 1e6);
            assert!(dist(&got, &mean) < 1e-8, "{got:?} vs {mean:?}");
        }
    }

    #[test]
    fn tensor_path_equals_f64_rows() {
        let gmm = Gmm::random(6, 5, 3.0, (0.1, 1.0), true, 2);
        let den = GmmDenoiser::new(gmm, Device::flex());
        let (b, d) = (37, 5);
        let x: Vec<f32> = rng::normal_rows(4, 0..b, d)
            .iter()
            .map(|v| 4.0 * v)
            .collect();
        for sigma in [0.002, 0.3, 1.0, 30.0] {
            let out = host::download(den.denoise(host::upload(&x, b, d, &den.device()), sigma));
            assert_eq!(out.len(), b * d);
            for (r, (xr, or)) in x.chunks(d).zip(out.chunks(d)).enumerate() {
                let xr: Vec<f64> = xr.iter().map(|&v| f64::from(v)).collect();
                let want = den.denoise_f64(&xr, sigma);
                for (j, (&o, &w)) in or.iter().zip(&want).enumerate() {
                    let tol = f64::from(f32::EPSILON) * w.abs() + f64::from(f32::MIN_POSITIVE);
                    assert!(
                        (f64::from(o) - w).abs() <= tol,
                        "sigma {sigma}, row {r}, dim {j}: {o} vs {w}"
                    );
                }
            }
        }
    }
}
