//! The wgpu path gives the CPU's numbers within a stated tolerance, and
//! `--device auto` never settles on a software adapter. On machines without
//! a GPU, scripts/setup.sh installs lavapipe (a software Vulkan driver).

use crate::common::{cpu, max_rel_diff, noise, run};
use geotraj::data::shapes;
use geotraj::denoise::{OptimalDenoiser, OptimalOptions};
use geotraj::sampling::{Device, Schedule, ScheduleEnd, Solver};
use geotraj::workbench::device::{DeviceChoice, select};
use std::sync::Arc;

/// Largest difference between wgpu and CPU states, relative to max(1, |x|).
const CROSS_DEVICE_TOLERANCE: f32 = 1e-4;

#[test]
fn wgpu_matches_cpu_on_a_whole_trajectory() {
    let gpu = match Device::wgpu_options().init() {
        Ok(d) => d,
        Err(e) => {
            panic!("no wgpu adapter (run scripts/setup.sh for a software Vulkan driver): {e}")
        }
    };
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
