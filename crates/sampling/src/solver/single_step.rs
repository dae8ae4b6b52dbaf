//! One-step methods: Euler (= DDIM), EDM's Heun and DPM-Solver-2.

use super::ops::eps;
use crate::SampleError;
use crate::record::Recorder;
use burn::tensor::Tensor;

/// x_{n+1} = x_n + (sigma_{n+1} - sigma_n) eps(x_n, sigma_n).
pub(super) fn euler(
    rec: &mut Recorder,
    mut x: Tensor<2>,
    sigmas: &[f64],
) -> Result<Tensor<2>, SampleError> {
    rec.state(0, &x, sigmas[0])?;
    for n in 0..sigmas.len() - 1 {
        let (s, t) = (sigmas[n], sigmas[n + 1]);
        let d = eps(&x, rec.denoise(&x, s, n, true)?, s);
        x = x + d.mul_scalar(t - s);
        rec.state(n + 1, &x, t)?;
    }
    Ok(x)
}

/// EDM Algorithm 1: an Euler predictor, then the trapezoid of the two slopes,
/// except on a step to sigma = 0 where eps is undefined (Euler there).
pub(super) fn heun(
    rec: &mut Recorder,
    mut x: Tensor<2>,
    sigmas: &[f64],
) -> Result<Tensor<2>, SampleError> {
    rec.state(0, &x, sigmas[0])?;
    for n in 0..sigmas.len() - 1 {
        let (s, t) = (sigmas[n], sigmas[n + 1]);
        let d = eps(&x, rec.denoise(&x, s, n, true)?, s);
        x = heun_step(rec, x, d, s, t, n)?;
        rec.state(n + 1, &x, t)?;
    }
    Ok(x)
}

/// From x at sigma s with slope d there: Euler to t, then (unless t = 0) the
/// trapezoid with the slope at the Euler point. Shared with EDM's stochastic sampler.
pub(super) fn heun_step(
    rec: &mut Recorder,
    x: Tensor<2>,
    d: Tensor<2>,
    s: f64,
    t: f64,
    n: usize,
) -> Result<Tensor<2>, SampleError> {
    let euler = x.clone() + d.clone().mul_scalar(t - s);
    if t == 0.0 {
        return Ok(euler);
    }
    let d2 = eps(&euler, rec.denoise(&euler, t, n, false)?, t);
    Ok(x + (d + d2).mul_scalar(0.5 * (t - s)))
}

/// DPM-Solver-2 (k-diffusion `sample_dpm_2`, diff-sampler with r = 1/2):
/// Euler to the geometric mean sigma_mid, then the full step with the slope
/// there. Euler on a step to 0.
pub(super) fn dpm2(
    rec: &mut Recorder,
    mut x: Tensor<2>,
    sigmas: &[f64],
) -> Result<Tensor<2>, SampleError> {
    rec.state(0, &x, sigmas[0])?;
    for n in 0..sigmas.len() - 1 {
        let (s, t) = (sigmas[n], sigmas[n + 1]);
        let d = eps(&x, rec.denoise(&x, s, n, true)?, s);
        x = if t == 0.0 {
            x + d.mul_scalar(t - s)
        } else {
            let mid = (s.ln() + 0.5 * (t.ln() - s.ln())).exp();
            let x_mid = x.clone() + d.mul_scalar(mid - s);
            let d_mid = eps(&x_mid, rec.denoise(&x_mid, mid, n, false)?, mid);
            x + d_mid.mul_scalar(t - s)
        };
        rec.state(n + 1, &x, t)?;
    }
    Ok(x)
}
