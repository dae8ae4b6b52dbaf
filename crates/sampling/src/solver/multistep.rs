//! Linear multistep methods on eps: x_{n+1} = x_n + sum_j w_j eps_{n-j}.
//! They differ only in the weights; each starts at order 1 and raises the
//! order by one per step while the history builds.

use super::coefficients;
use super::ops::{combine, eps};
use crate::SampleError;
use crate::record::Recorder;
use burn::tensor::Tensor;
use std::collections::VecDeque;

/// Runs the multistep loop with `weights(n, k)`: the weights of step n on
/// the k newest slopes (k = min(order, n + 1)).
fn multistep(
    rec: &mut Recorder,
    mut x: Tensor<2>,
    sigmas: &[f64],
    order: usize,
    weights: impl Fn(usize, usize) -> Vec<f64>,
) -> Result<Tensor<2>, SampleError> {
    rec.state(0, &x, sigmas[0])?;
    let mut history: VecDeque<Tensor<2>> = VecDeque::with_capacity(order);
    for n in 0..sigmas.len() - 1 {
        let s = sigmas[n];
        history.push_front(eps(&x, rec.denoise(&x, s, n, true)?, s));
        history.truncate(order);
        let w = weights(n, history.len());
        x = x + combine(w.into_iter().zip(history.iter().cloned()));
        rec.state(n + 1, &x, sigmas[n + 1])?;
    }
    Ok(x)
}

/// iPNDM (diff-sampler `ipndm_sampler`, k-diffusion `sample_ipndm`).
pub(super) fn ipndm(
    rec: &mut Recorder,
    x: Tensor<2>,
    sigmas: &[f64],
    order: usize,
) -> Result<Tensor<2>, SampleError> {
    multistep(rec, x, sigmas, order, |n, k| {
        let h = sigmas[n + 1] - sigmas[n];
        coefficients::ipndm(k).iter().map(|c| h * c).collect()
    })
}

/// k-diffusion `sample_lms`: the Lagrange interpolant of the slopes in sigma,
/// integrated over the step.
pub(super) fn lms(
    rec: &mut Recorder,
    x: Tensor<2>,
    sigmas: &[f64],
    order: usize,
) -> Result<Tensor<2>, SampleError> {
    multistep(rec, x, sigmas, order, |n, k| {
        let nodes: Vec<f64> = (0..k).map(|j| sigmas[n - j]).collect();
        coefficients::integrated_lagrange(&nodes, sigmas[n], sigmas[n + 1], |s| s)
    })
}

/// DEIS tAB (diff-sampler `deis_sampler` with `get_deis_coeff_list(.., 'tab')`):
/// the slopes interpolated in VP time t and integrated against d sigma.
/// diff-sampler sums 10,000 points; the weights here are the integral itself.
pub(super) fn deis(
    rec: &mut Recorder,
    x: Tensor<2>,
    sigmas: &[f64],
    order: usize,
) -> Result<Tensor<2>, SampleError> {
    multistep(rec, x, sigmas, order, |n, k| {
        if k == 1 {
            return vec![sigmas[n + 1] - sigmas[n]];
        }
        let nodes: Vec<f64> = (0..k)
            .map(|j| coefficients::vp_time(sigmas[n - j]))
            .collect();
        coefficients::integrated_lagrange(&nodes, sigmas[n], sigmas[n + 1], coefficients::vp_time)
    })
}
