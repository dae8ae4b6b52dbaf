//! Every solver on Gaussian data against the closed-form VE-ODE solution:
//! measured convergence orders, exact NFE accounting, the adaptive
//! reference solve, and the stochastic samplers' marginal statistics.

use crate::common::{cpu, noise};
use geotraj::denoise::GaussianDenoiser;
use geotraj::sampling::{
    ReferenceOptions, SampleOptions, Schedule, ScheduleEnd, Solver, reference_solve, sample,
};
use geotraj::workbench::context::noise::Keyed;

const D: usize = 8;
const N: usize = 16;
const MEAN: f32 = 0.3;
const STD: f64 = 0.5;

fn gaussian() -> GaussianDenoiser {
    GaussianDenoiser::new(vec![MEAN; D], STD, cpu())
}

/// Every deterministic solver, at its highest order.
pub fn deterministic() -> Vec<Solver> {
    vec![
        Solver::Euler,
        Solver::Heun,
        Solver::Dpm2,
        Solver::DpmPp2m,
        Solver::Ipndm { order: 4 },
        Solver::Deis { order: 3 },
        Solver::UniPc { order: 3 },
        Solver::Lms { order: 4 },
        Solver::GradientEstimation {
            gamma: 2.0,
            mu: 0.0,
        },
    ]
}

/// Max |x_N - exact| over trajectories and coordinates, EDM schedule 20 -> 0.02.
fn error(solver: Solver, steps: usize) -> f64 {
    let den = gaussian();
    let sigmas = Schedule::Edm { rho: 7.0 }
        .sigmas(steps, 0.02, 20.0, ScheduleEnd::SigmaMin)
        .unwrap();
    let z = noise(N, D);
    let t = sample(
        &den,
        solver,
        &sigmas,
        &z,
        SampleOptions::batch(N),
        &mut || {},
    )
    .unwrap();
    (0..N)
        .map(|i| {
            let x0: Vec<f64> = t.state(i, 0).iter().map(|&v| v as f64).collect();
            let exact = den.flow(&x0, sigmas[0], 0.02);
            t.state(i, steps)
                .iter()
                .zip(&exact)
                .map(|(&a, b)| (a as f64 - b).abs())
                .fold(0.0, f64::max)
        })
        .fold(0.0, f64::max)
}

/// (solver, expected asymptotic order). iPNDM's fixed Adams–Bashforth weights
/// assume equal steps, so on the EDM grid it is second order whatever its
/// order; the gradient-estimation sampler (2 eps_n - eps_{n-1}) is first order.
fn expected_orders() -> Vec<(Solver, f64)> {
    deterministic()
        .into_iter()
        .zip([1.0, 2.0, 2.0, 2.0, 2.0, 3.0, 3.0, 4.0, 1.0])
        .collect()
}

#[test]
fn every_deterministic_solver_converges_with_its_order() {
    for (solver, want) in expected_orders() {
        let e: Vec<f64> = [16, 32, 64, 128]
            .iter()
            .map(|&n| error(solver, n))
            .collect();
        let o: Vec<f64> = e.windows(2).map(|w| (w[0] / w[1]).log2()).collect();
        let last = *o.last().unwrap();
        assert!(
            (last - want).abs() < 0.4,
            "{}: errors {e:?}, measured orders {o:?}, expected {want}",
            solver.describe()
        );
    }
}

/// Every solver, the stochastic ones included.
fn all_solvers() -> Vec<Solver> {
    let mut all = deterministic();
    all.extend([
        Solver::Ipndm { order: 1 },
        Solver::Deis { order: 1 },
        Solver::UniPc { order: 1 },
        Solver::UniPc { order: 2 },
        Solver::Lms { order: 2 },
        Solver::GradientEstimation {
            gamma: 1.0,
            mu: 0.5,
        },
        Solver::EdmStochastic {
            churn: 40.0,
            s_min: 0.0,
            s_max: f64::INFINITY,
            s_noise: 1.0,
        },
    ]);
    all
}

#[test]
fn nfe_counts_are_exact_for_every_solver_and_end() {
    let den = gaussian();
    let z = noise(3, D);
    let step_noise = Keyed::new(1);
    for steps in [1, 2, 3, 5] {
        for end in [ScheduleEnd::Zero, ScheduleEnd::SigmaMin, ScheduleEnd::Jump] {
            let sigmas = Schedule::Edm { rho: 7.0 }
                .sigmas(steps, 0.002, 80.0, end)
                .unwrap();
            for solver in all_solvers() {
                let options = SampleOptions {
                    batch_size: 2,
                    final_jump: end.final_jump(),
                    step_noise: Some(&step_noise),
                    first: 0,
                };
                let t = sample(&den, solver, &sigmas, &z, options, &mut || {}).unwrap();
                let two_stage = matches!(
                    solver,
                    Solver::Heun | Solver::Dpm2 | Solver::EdmStochastic { .. }
                );
                let want = if two_stage {
                    2 * steps - usize::from(end == ScheduleEnd::Zero)
                } else {
                    steps
                } + usize::from(end == ScheduleEnd::Jump);
                let what = format!("{} {steps} {end:?}", solver.describe());
                assert_eq!(t.nfe(), want, "{what}");
                assert_eq!(
                    geotraj::sampling::nfe(&solver, &sigmas, end.final_jump()),
                    want
                );
                assert_eq!(
                    t.steps(),
                    steps + usize::from(end == ScheduleEnd::Jump),
                    "{what}"
                );
                assert_eq!(
                    *t.sigmas.last().unwrap() == 0.0,
                    end != ScheduleEnd::SigmaMin
                );
            }
        }
    }
}

#[test]
fn final_jump_lands_on_the_denoiser_output() {
    let den = gaussian();
    let sigmas = Schedule::LogLinear
        .sigmas(4, 0.1, 10.0, ScheduleEnd::Jump)
        .unwrap();
    let z = noise(2, D);
    let options = SampleOptions {
        final_jump: true,
        ..SampleOptions::batch(2)
    };
    let t = sample(&den, Solver::Euler, &sigmas, &z, options, &mut || {}).unwrap();
    let a = STD * STD / (STD * STD + 0.01);
    for i in 0..2 {
        let before = t.state(i, 4);
        for (j, &v) in t.state(i, 5).iter().enumerate() {
            let want = a * before[j] as f64 + (1.0 - a) * MEAN as f64;
            assert!((v as f64 - want).abs() < 1e-6, "{v} vs {want}");
        }
    }
}

#[test]
fn reference_solve_matches_the_closed_form_and_ignores_batching() {
    let den = gaussian();
    let z = noise(N, D);
    let options = ReferenceOptions {
        batch_size: 5,
        ..ReferenceOptions::default()
    };
    for end in [0.02, 0.0] {
        let r = reference_solve(&den, 80.0, end, false, &z, options, &mut || {}).unwrap();
        let mut worst = 0.0f64;
        for i in 0..N {
            let x0: Vec<f64> = z[i * D..(i + 1) * D]
                .iter()
                .map(|&v| 80.0 * v as f64)
                .collect();
            let exact = den.flow(&x0, 80.0, end);
            for (a, b) in r.samples[i * D..(i + 1) * D].iter().zip(&exact) {
                worst = worst.max((a - b).abs() / b.abs().max(1.0));
            }
        }
        // The denoiser computes in f32, so 1e-6 relative is the floor.
        assert!(worst < 1e-5, "end {end}: worst relative error {worst:e}");
        assert!(r.nfe > 10 && r.nfe < 400, "nfe {}", r.nfe);
        let one_batch = ReferenceOptions {
            batch_size: N,
            ..options
        };
        let r2 = reference_solve(&den, 80.0, end, false, &z, one_batch, &mut || {}).unwrap();
        assert_eq!(r.samples, r2.samples);
    }
}

/// Final samples' per-coordinate mean and variance over trajectories.
fn moments(samples: &[f32]) -> (f64, f64) {
    let n = samples.len() as f64;
    let mean = samples.iter().map(|&v| v as f64).sum::<f64>() / n;
    let var = samples
        .iter()
        .map(|&v| (v as f64 - mean).powi(2))
        .sum::<f64>()
        / (n - 1.0);
    (mean, var)
}

/// The exact variance of x_N - mu after the sampler on N(mu, s^2) data:
/// every step is affine in (x - mu) plus independent noise, so the variance
/// follows a scalar recursion (a finite-step sampler is not exact: replacing
/// the posterior by its mean loses variance at every step).
fn variance_recursion(solver: Solver, sigmas: &[f64]) -> f64 {
    let s2 = STD * STD;
    let a = |sigma: f64| s2 / (s2 + sigma * sigma); // D = mu + a (x - mu)
    let slope = |sigma: f64| (1.0 - a(sigma)) / sigma; // eps = slope (x - mu)
    let mut v = sigmas[0] * sigmas[0]; // x_0 = sigma_0 z
    let steps = sigmas.len() - 1;
    for n in 0..steps {
        let (s, t) = (sigmas[n], sigmas[n + 1]);
        match solver {
            Solver::GradientEstimation { gamma: 1.0, mu } => {
                let sp = (t / s.powf(mu)).powf(1.0 / (1.0 - mu));
                let c = 1.0 - (s - sp) * slope(s);
                v = c * c * v + t * t - sp * sp;
            }
            Solver::EdmStochastic { churn, .. } => {
                let g = (churn / steps as f64).min(2f64.sqrt() - 1.0);
                let sh = s * (1.0 + g);
                v += sh * sh - s * s;
                let ce = 1.0 + (t - sh) * slope(sh);
                let c = if t == 0.0 {
                    ce
                } else {
                    1.0 + 0.5 * (t - sh) * (slope(sh) + ce * slope(t))
                };
                v *= c * c;
            }
            _ => unreachable!("stochastic solvers only"),
        }
    }
    v
}

#[test]
fn stochastic_samplers_reproduce_the_exact_marginal_statistics() {
    // 4000 trajectories x 8 coordinates: the standard error of the mean is
    // 0.5 / sqrt(32000) = 0.0028 and of the variance about 0.8 %.
    let n = 4000;
    let den = gaussian();
    let z = noise(n, D);
    let step_noise = Keyed::new(11);
    let sigmas = Schedule::Edm { rho: 7.0 }
        .sigmas(40, 0.002, 80.0, ScheduleEnd::Zero)
        .unwrap();
    for solver in [
        Solver::GradientEstimation {
            gamma: 1.0,
            mu: 0.5,
        },
        Solver::EdmStochastic {
            churn: 40.0,
            s_min: 0.0,
            s_max: f64::INFINITY,
            s_noise: 1.0,
        },
    ] {
        let options = SampleOptions {
            step_noise: Some(&step_noise),
            ..SampleOptions::batch(1000)
        };
        let t = sample(&den, solver, &sigmas, &z, options, &mut || {}).unwrap();
        let (mean, var) = moments(&t.final_samples());
        let exact = variance_recursion(solver, &sigmas);
        let what = solver.describe();
        assert!((mean - MEAN as f64).abs() < 0.012, "{what}: mean {mean}");
        assert!(
            (var / exact - 1.0).abs() < 0.03,
            "{what}: variance {var}, exact for this schedule {exact}"
        );
        // Close to the data's own variance, but not equal: the discretisation bias.
        assert!((exact / (STD * STD) - 1.0).abs() < 0.3, "{what}: {exact}");
        // The noise really is fresh: the samples differ from the ODE's.
        let ode = sample(
            &den,
            Solver::Heun,
            &sigmas,
            &z,
            SampleOptions::batch(1000),
            &mut || {},
        )
        .unwrap();
        assert!(crate::common::max_rel_diff(&t.final_samples(), &ode.final_samples()) > 0.1);
        // And batching does not change a trajectory.
        let options = SampleOptions {
            step_noise: Some(&step_noise),
            ..SampleOptions::batch(7)
        };
        let t7 = sample(&den, solver, &sigmas, &z[..70 * D], options, &mut || {}).unwrap();
        assert_eq!(t7.final_samples(), t.final_samples()[..70 * D]);
    }
}
