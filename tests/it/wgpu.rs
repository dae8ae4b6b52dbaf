//! The wgpu path gives the CPU's numbers within a stated tolerance, and
//! `--device auto` never settles on a software adapter. On machines without
//! a GPU, scripts/setup.sh installs lavapipe (a software Vulkan driver).

use crate::common::{cpu, max_rel_diff, noise, run};
use geotraj::data::shapes;
use geotraj::denoise::{OptimalDenoiser, OptimalOptions};
use geotraj::sampling::{Device, Schedule, ScheduleEnd, Solver};
use geotraj::workbench::context::device::{DeviceChoice, select};
use std::sync::Arc;

/// Largest difference between wgpu and CPU states, relative to max(1, |x|).
const CROSS_DEVICE_TOLERANCE: f32 = 1e-4;

/// The process's one wgpu device: burn registers its runtime once, so a
/// second `init` in the same test binary fails.
fn gpu() -> Device {
    static GPU: std::sync::OnceLock<Device> = std::sync::OnceLock::new();
    GPU.get_or_init(|| match Device::wgpu_options().init() {
        Ok(d) => d,
        Err(e) => {
            panic!("no wgpu adapter (run scripts/setup.sh for a software Vulkan driver): {e}")
        }
    })
    .clone()
}

#[test]
fn wgpu_matches_cpu_on_a_whole_trajectory() {
    let gpu = gpu();
    let data = Arc::new(shapes(300, 4));
    let sigmas = Schedule::Edm { rho: 7.0 }
        .sigmas(5, 0.002, 80.0, ScheduleEnd::Zero)
        .unwrap();
    let z = noise(8, data.d);
    let opts = OptimalOptions {
        chunk: 128,
        ..Default::default()
    };
    let on_cpu = run(
        &OptimalDenoiser::new(data.clone(), cpu(), opts),
        Solver::Heun,
        &sigmas,
        &z,
        8,
    );
    let on_gpu = run(
        &OptimalDenoiser::new(data, gpu, opts),
        Solver::Heun,
        &sigmas,
        &z,
        8,
    );
    let worst = max_rel_diff(&on_gpu.states, &on_cpu.states);
    assert!(
        worst < CROSS_DEVICE_TOLERANCE,
        "largest relative difference {worst:e}"
    );
}

#[test]
fn auto_never_picks_a_software_adapter() {
    let chosen = select(DeviceChoice::Auto).unwrap();
    match chosen.device.identity() {
        // A wgpu device: it must sit on a physical card.
        Some(id) => assert!(id.physical.is_some(), "auto chose {}", chosen.description),
        None => assert!(
            chosen.description.starts_with("cpu"),
            "{}",
            chosen.description
        ),
    }
}

#[test]
fn nearest_neighbours_on_wgpu_are_the_cpu_ones_exactly() {
    use geotraj::denoise::NearestNeighbours;
    let gpu = gpu();
    let data = Arc::new(shapes(300, 5));
    // Queries far from the data (sigma = 80) and close to it (sigma = 0.01).
    let z = noise(16, data.d);
    let x: Vec<f32> = z
        .iter()
        .enumerate()
        .map(|(k, &v)| {
            let row = data.row(k / data.d % data.n)[k % data.d];
            if k / data.d < 8 {
                80.0 * v
            } else {
                row + 0.01 * v
            }
        })
        .collect();
    let on_cpu = NearestNeighbours::new(data.clone(), cpu(), 128)
        .query(&x, 16)
        .unwrap();
    let on_gpu = NearestNeighbours::new(data, gpu, 128)
        .query(&x, 16)
        .unwrap();
    // The winner and the distances come from the same f64 re-scoring.
    assert_eq!(on_cpu, on_gpu);
}

/// Training runs through autodiff on wgpu too: the same seed gives the same
/// losses as on the CPU, step by step.
#[test]
fn wgpu_trains_like_the_cpu() {
    use geotraj::denoise::NetConfig;
    use geotraj::denoise::learned::train::{TrainOptions, TrainSpec, Trainer};
    let spec = TrainSpec {
        net: NetConfig::Mlp {
            dim: 2,
            hidden: 16,
            depth: 2,
            embed: 8,
        },
        preconditioning: geotraj::denoise::Preconditioning::Edm { sigma_data: 1.0 },
        train: TrainOptions {
            steps: 6,
            batch: 32,
            lr: 1e-3,
            warmup: 2,
            ema: 0.9,
            clip: Some(1.0),
            p_mean: -1.2,
            p_std: 1.2,
            seed: 4,
            checkpoint_every: 0,
        },
    };
    let rows = noise(64, 2);
    let mut on_cpu = Trainer::new(spec.clone(), cpu());
    let mut on_gpu = Trainer::new(spec, gpu());
    for step in 0..6 {
        let a = on_cpu.train_step(&rows).unwrap();
        let b = on_gpu.train_step(&rows).unwrap();
        assert!(
            (a - b).abs() <= 1e-4 * a.abs().max(1.0),
            "step {step}: cpu {a}, wgpu {b}"
        );
    }
}
