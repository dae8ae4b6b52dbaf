//! Trajectories do not depend on the batch size.

use crate::common::{cpu, max_rel_diff, noise, run};
use geotraj::data::shapes;
use geotraj::denoise::{OptimalDenoiser, OptimalOptions};
use geotraj::sampling::{Schedule, ScheduleEnd, Solver};
use std::sync::Arc;

#[test]
fn same_trajectories_for_batch_sizes_1_7_and_64() {
    let data = Arc::new(shapes(500, 1));
    let den = OptimalDenoiser::new(
        data.clone(),
        cpu(),
        OptimalOptions {
            chunk: 200,
            ..Default::default()
        },
    );
    let sigmas = Schedule::Edm { rho: 7.0 }
        .sigmas(6, 0.002, 80.0, ScheduleEnd::Zero)
        .unwrap();
    let z = noise(64, data.d);
    let reference = run(&den, Solver::Heun, &sigmas, &z, 64);
    for batch in [1, 7] {
        let t = run(&den, Solver::Heun, &sigmas, &z, batch);
        let worst = max_rel_diff(&t.states, &reference.states);
        assert!(
            worst <= 1e-6,
            "batch {batch}: largest relative difference {worst:e}"
        );
        assert_eq!(t.eval_sigma, reference.eval_sigma);
    }
}
