//! Euler and Heun on Gaussian data against the closed-form VE-ODE solution
//! x(sigma) = mu + sqrt((s^2 + sigma^2) / (s^2 + sigma_0^2)) (x_0 - mu).

use crate::common::{cpu, noise, run};
use geotraj::denoise::GaussianDenoiser;
use geotraj::sampling::{Schedule, ScheduleEnd, Solver};

const D: usize = 8;
const N: usize = 16;

fn setup() -> GaussianDenoiser {
    GaussianDenoiser::new(vec![0.3; D], 0.5, cpu())
}

/// Max error of x_N against the closed form, over trajectories and coordinates.
/// Ending at 0, the last (Euler) step from sigma_min has a fixed bias of about
/// sigma_min^2 / 2s^2 |x - mu|, so sigma_min is kept small enough for that
/// bias to sit far below the errors whose order is measured.
fn error(solver: Solver, steps: usize, end: ScheduleEnd) -> f64 {
    let den = setup();
    let sigma_min = match end {
        ScheduleEnd::SigmaMin | ScheduleEnd::Jump => 0.02,
        ScheduleEnd::Zero => 0.002,
    };
    let sigmas = Schedule::Edm { rho: 7.0 }
        .sigmas(steps, sigma_min, 20.0, end)
        .unwrap();
    let z = noise(N, D);
    let t = run(&den, solver, &sigmas, &z, N);
    let last = *sigmas.last().unwrap();
    (0..N)
        .map(|i| {
            let x0: Vec<f64> = t.state(i, 0).iter().map(|&v| v as f64).collect();
            let exact = den.flow(&x0, sigmas[0], last);
            t.state(i, steps)
                .iter()
                .zip(&exact)
                .map(|(&a, b)| (a as f64 - b).abs())
                .fold(0.0, f64::max)
        })
        .fold(0.0, f64::max)
}

fn orders(solver: Solver, end: ScheduleEnd) -> Vec<f64> {
    let e: Vec<f64> = [8, 16, 32, 64]
        .iter()
        .map(|&n| error(solver, n, end))
        .collect();
    e.windows(2).map(|w| (w[0] / w[1]).log2()).collect()
}

#[test]
fn euler_converges_with_order_one() {
    let o = orders(Solver::Euler, ScheduleEnd::SigmaMin);
    let last = *o.last().unwrap();
    assert!((last - 1.0).abs() < 0.15, "measured orders {o:?}");
}

#[test]
fn heun_converges_with_order_two() {
    for end in [ScheduleEnd::SigmaMin, ScheduleEnd::Zero] {
        let o = orders(Solver::Heun, end);
        let last = *o.last().unwrap();
        assert!((last - 2.0).abs() < 0.2, "{end:?}: measured orders {o:?}");
    }
}

#[test]
fn heun_beats_euler_at_equal_nfe_and_starting_noise_is_sigma_max_z() {
    // Second order pays off at equal cost: Heun 32 steps and Euler 64 steps are 64 NFE each.
    let heun = error(Solver::Heun, 32, ScheduleEnd::SigmaMin);
    let euler = error(Solver::Euler, 64, ScheduleEnd::SigmaMin);
    assert!(heun < 0.5 * euler, "heun-32 {heun:e}, euler-64 {euler:e}");
    let den = setup();
    let sigmas = Schedule::LogLinear
        .sigmas(3, 0.1, 5.0, ScheduleEnd::SigmaMin)
        .unwrap();
    let z = noise(2, D);
    let t = run(&den, Solver::Euler, &sigmas, &z, 2);
    for (a, b) in t.state(1, 0).iter().zip(&z[D..2 * D]) {
        assert_eq!(*a, (5.0 * *b as f64) as f32);
    }
}
