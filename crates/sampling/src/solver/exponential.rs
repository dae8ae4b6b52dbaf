//! Exponential-integrator multistep solvers on the data prediction D, in
//! lambda = -ln sigma: DPM-Solver++(2M) and UniPC. A step to sigma = 0 has
//! h = infinity, where both reduce to their first-order limit x = D.

use super::ops::combine;
use crate::SampleError;
use crate::record::Recorder;
use burn::tensor::Tensor;
use std::collections::VecDeque;

/// k-diffusion `sample_dpmpp_2m`: x_{n+1} = (t/s) x - expm1(-h) D_hat, with
/// D_hat = (1 + 1/2r) D_n - (1/2r) D_{n-1}, r = h_{n-1}/h_n; first order on
/// the first step and on a step to 0.
pub(super) fn dpmpp_2m(
    rec: &mut Recorder,
    mut x: Tensor<2>,
    sigmas: &[f64],
) -> Result<Tensor<2>, SampleError> {
    rec.state(0, &x, sigmas[0])?;
    let mut old: Option<Tensor<2>> = None;
    for n in 0..sigmas.len() - 1 {
        let (s, t) = (sigmas[n], sigmas[n + 1]);
        let denoised = rec.denoise(&x, s, n, true)?;
        x = if t == 0.0 {
            denoised.clone()
        } else {
            let h = (s / t).ln();
            let d_hat = match &old {
                None => denoised.clone(),
                Some(prev) => {
                    let r = (sigmas[n - 1] / s).ln() / h;
                    combine([(1.0 + 0.5 / r, denoised.clone()), (-0.5 / r, prev.clone())])
                }
            };
            x.mul_scalar(t / s) + d_hat.mul_scalar(-(-h).exp_m1())
        };
        old = Some(denoised);
        rec.state(n + 1, &x, t)?;
    }
    Ok(x)
}

/// UniPC-bh2 (diff-sampler `unipc_sampler` / `unipc_update`, data prediction,
/// lower order at the end). The corrector re-uses the evaluation at the
/// predicted point, which the next step takes as its newest D, so each step
/// costs one evaluation; the last step has no corrector. diff-sampler also
/// runs the corrector on the last step when there are fewer steps than the
/// order (one more evaluation); this does not.
pub(super) fn unipc(
    rec: &mut Recorder,
    mut x: Tensor<2>,
    sigmas: &[f64],
    max_order: usize,
) -> Result<Tensor<2>, SampleError> {
    let steps = sigmas.len() - 1;
    rec.state(0, &x, sigmas[0])?;
    // Newest first: (sigma, D) at the points the history was evaluated at.
    let mut history: VecDeque<(f64, Tensor<2>)> = VecDeque::new();
    history.push_front((sigmas[0], rec.denoise(&x, sigmas[0], 0, true)?));
    for n in 0..steps {
        let t = sigmas[n + 1];
        let last = n + 1 == steps;
        let order = if n + 1 < max_order {
            n + 1
        } else {
            max_order.min(steps - n)
        };
        let (s, m0) = history[0].clone();
        if t == 0.0 {
            x = m0;
            rec.state(n + 1, &x, t)?;
            break;
        }
        let h = (s / t).ln();
        // rk and D1_k = (D_k - D_0) / r_k for the k = 1..order-1 older points.
        let rks: Vec<f64> = (1..order).map(|k| (s / history[k].0).ln() / h).collect();
        let d1s: Vec<Tensor<2>> = (1..order)
            .map(|k| (history[k].1.clone() - m0.clone()).div_scalar(rks[k - 1]))
            .collect();
        let (rhos_p, rhos_c) = unipc_rhos(&rks, h);
        let hh = -h;
        let b_h = hh.exp_m1();
        let x_lin = x.mul_scalar(t / s) - m0.clone().mul_scalar(hh.exp_m1());
        let x_pred = if d1s.is_empty() {
            x_lin.clone()
        } else {
            x_lin.clone() - combine(rhos_p.iter().copied().zip(d1s.iter().cloned())).mul_scalar(b_h)
        };
        if last {
            x = x_pred;
        } else {
            let model_t = rec.denoise(&x_pred, t, n, false)?;
            let mut terms: Vec<(f64, Tensor<2>)> =
                rhos_c[..order - 1].iter().copied().zip(d1s).collect();
            terms.push((rhos_c[order - 1], model_t.clone() - m0));
            x = x_lin - combine(terms).mul_scalar(b_h);
            history.push_front((t, model_t));
            history.truncate(max_order);
        }
        rec.state(n + 1, &x, t)?;
    }
    Ok(x)
}

/// UniPC's predictor and corrector weights for the history ratios `rks`
/// (k = 1..order-1) and step h, variant bh2 (B(h) = expm1(-h) in data form).
fn unipc_rhos(rks: &[f64], h: f64) -> (Vec<f64>, Vec<f64>) {
    let order = rks.len() + 1;
    let hh = -h;
    let b_h = hh.exp_m1();
    let mut r: Vec<f64> = rks.to_vec();
    r.push(1.0);
    // R[i][k] = r_k^i; b_i = phi_{i+1}(hh) (i+1)! / B(h).
    let big_r: Vec<Vec<f64>> = (0..order)
        .map(|i| r.iter().map(|rk| rk.powi(i as i32)).collect())
        .collect();
    let mut b = Vec::with_capacity(order);
    let mut h_phi_k = hh.exp_m1() / hh - 1.0;
    let mut factorial = 1.0;
    for i in 1..=order {
        b.push(h_phi_k * factorial / b_h);
        factorial *= (i + 1) as f64;
        h_phi_k = h_phi_k / hh - 1.0 / factorial;
    }
    let rhos_p = match order {
        1 => vec![],
        2 => vec![0.5],
        _ => solve(
            big_r[..order - 1]
                .iter()
                .map(|row| row[..order - 1].to_vec())
                .collect(),
            b[..order - 1].to_vec(),
        ),
    };
    let rhos_c = if order == 1 {
        vec![0.5]
    } else {
        solve(big_r, b)
    };
    (rhos_p, rhos_c)
}

/// Solves a small dense system by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for c in 0..n {
        let p = (c..n)
            .max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))
            .expect("non-empty");
        a.swap(c, p);
        b.swap(c, p);
        let pivot = a[c].clone();
        for i in c + 1..n {
            let f = a[i][c] / pivot[c];
            for (aik, pk) in a[i][c..].iter_mut().zip(&pivot[c..]) {
                *aik -= f * pk;
            }
            b[i] -= f * b[c];
        }
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| a[i][k] * x[k]).sum();
        x[i] = (b[i] - s) / a[i][i];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solve_small_systems() {
        let x = solve(
            vec![
                vec![0.0, 2.0, 1.0],
                vec![1.0, 1.0, 1.0],
                vec![2.0, 1.0, 3.0],
            ],
            vec![7.0, 6.0, 13.0],
        );
        for (g, w) in x.iter().zip([1.0, 2.0, 3.0]) {
            assert!((g - w).abs() < 1e-12, "{x:?}");
        }
    }

    #[test]
    fn unipc_corrector_weights_reproduce_the_order_conditions() {
        // Corrector of order 2: R = [[1, 1], [r1, 1]] rho = b, so sum(rho) = b_0.
        let (p, c) = unipc_rhos(&[-0.8], 0.6);
        assert_eq!(p, vec![0.5]);
        let hh: f64 = -0.6;
        let b0 = (hh.exp_m1() / hh - 1.0) / hh.exp_m1();
        assert!((c[0] + c[1] - b0).abs() < 1e-12);
        // Order 1: the simplified corrector weight 1/2.
        assert_eq!(unipc_rhos(&[], 0.6), (vec![], vec![0.5]));
    }
}
