//! Chen et al.: one Euler step with the optimal denoiser is a convex
//! combination of the current point and a Gaussian mean-shift step,
//! x_{n+1} = (s_{n+1}/s_n) x_n + (1 - s_{n+1}/s_n) m_{s_n}(x_n).

use crate::common::{cpu, noise, optimal_f64, run};
use geotraj::data::shapes;
use geotraj::denoise::{OptimalDenoiser, OptimalOptions};
use geotraj::sampling::Solver;
use std::sync::Arc;

#[test]
fn euler_step_of_the_optimal_denoiser_is_annealed_mean_shift() {
    let data = Arc::new(shapes(300, 3));
    let den = OptimalDenoiser::new(
        data.clone(),
        cpu(),
        OptimalOptions {
            chunk: 128,
            ..Default::default()
        },
    );
    let sigmas = [20.0, 6.0, 1.5, 0.3, 0.05, 0.0];
    let z = noise(6, data.d);
    let t = run(&den, Solver::Euler, &sigmas, &z, 6);
    let mut worst = 0.0f64;
    for i in 0..6 {
        for n in 0..sigmas.len() - 1 {
            let x = t.state(i, n);
            let m = optimal_f64(&data, x, sigmas[n]);
            let r = sigmas[n + 1] / sigmas[n];
            let scale = x.iter().map(|v| v.abs()).fold(1.0f32, f32::max) as f64;
            for ((&next, &xk), mk) in t.state(i, n + 1).iter().zip(x).zip(&m) {
                let form = r * xk as f64 + (1.0 - r) * mk;
                worst = worst.max((next as f64 - form).abs() / scale);
            }
        }
    }
    // f32 states: agreement at rounding level relative to the state's scale.
    assert!(
        worst < 2e-5,
        "largest deviation from the mean-shift form: {worst:e}"
    );
}
