//! Samplers that may draw fresh noise: Permenter & Yuan's family
//! (smalldiffusion `samples`) and EDM's stochastic Heun (Algorithm 2).
//! Noise for trajectory i at step n comes from the recorder's step noise,
//! a function of (seed, i, n), so batching never changes a sample.

use super::ops::eps;
use super::single_step::heun_step;
use crate::SampleError;
use crate::record::Recorder;
use burn::tensor::Tensor;

/// smalldiffusion `samples(gam, mu)`:
///   eps_bar = gamma eps(x_n, s) + (1 - gamma) eps_{n-1}  (eps_n alone on step 0;
///             eps_{n-1} is the previous raw eps, not the previous eps_bar),
///   s' = (t / s^mu)^(1/(1-mu)),  eta = sqrt(t^2 - s'^2),
///   x_{n+1} = x_n - (s - s') eps_bar + eta z.
/// mu = 0 is deterministic (DDIM when gamma = 1); mu = 1/2 is DDPM.
pub(super) fn gradient_estimation(
    rec: &mut Recorder,
    mut x: Tensor<2>,
    sigmas: &[f64],
    gamma: f64,
    mu: f64,
) -> Result<Tensor<2>, SampleError> {
    rec.state(0, &x, sigmas[0])?;
    let mut prev: Option<Tensor<2>> = None;
    for n in 0..sigmas.len() - 1 {
        let (s, t) = (sigmas[n], sigmas[n + 1]);
        let e = eps(&x, rec.denoise(&x, s, n, true)?, s);
        let e_bar = match &prev {
            None => e.clone(),
            Some(p) => e.clone().mul_scalar(gamma) + p.clone().mul_scalar(1.0 - gamma),
        };
        let s_p = (t / s.powf(mu)).powf(1.0 / (1.0 - mu));
        let eta = (t * t - s_p * s_p).max(0.0).sqrt();
        x = x - e_bar.mul_scalar(s - s_p);
        if eta > 0.0 {
            x = x + rec.noise(n)?.mul_scalar(eta);
        }
        prev = Some(e);
        rec.state(n + 1, &x, t)?;
    }
    Ok(x)
}

/// EDM `edm_sampler`: for sigma_n in [s_min, s_max], raise the noise level to
/// s_hat = (1 + g) sigma_n, g = min(s_churn / N, sqrt 2 - 1), by adding
/// sqrt(s_hat^2 - sigma_n^2) s_noise z; then a Heun step from s_hat
/// (Euler on a step to 0).
pub(super) fn edm(
    rec: &mut Recorder,
    mut x: Tensor<2>,
    sigmas: &[f64],
    churn: f64,
    s_min: f64,
    s_max: f64,
    s_noise: f64,
) -> Result<Tensor<2>, SampleError> {
    let steps = sigmas.len() - 1;
    rec.state(0, &x, sigmas[0])?;
    for n in 0..steps {
        let (s, t) = (sigmas[n], sigmas[n + 1]);
        let g = if (s_min..=s_max).contains(&s) {
            (churn / steps as f64).min(std::f64::consts::SQRT_2 - 1.0)
        } else {
            0.0
        };
        let s_hat = s + g * s;
        let x_hat = if g > 0.0 {
            x + rec
                .noise(n)?
                .mul_scalar((s_hat * s_hat - s * s).sqrt() * s_noise)
        } else {
            x
        };
        let d = eps(&x_hat, rec.denoise(&x_hat, s_hat, n, g == 0.0)?, s_hat);
        x = heun_step(rec, x_hat, d, s_hat, t, n)?;
        rec.state(n + 1, &x, t)?;
    }
    Ok(x)
}
