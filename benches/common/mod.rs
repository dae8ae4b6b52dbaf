//! What the benchmarks share: median timing and the device choice
//! (GEOTRAJ_BENCH_DEVICE=wgpu for the GPU path, the flex CPU otherwise).

use geotraj::sampling::Device;
use std::time::Instant;

/// Median seconds of `f` over about `budget` seconds (at least `min_runs`
/// runs, at most 20), after a warm-up run.
pub fn time(budget: f64, min_runs: usize, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    f();
    let mut t = Vec::new();
    while t.len() < min_runs || (start.elapsed().as_secs_f64() < budget && t.len() < 20) {
        let s = Instant::now();
        f();
        t.push(s.elapsed().as_secs_f64());
    }
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

/// The device to measure on, and its name.
#[allow(dead_code)] // benches/gemm.rs measures the CPU only
pub fn device() -> (Device, String) {
    match std::env::var("GEOTRAJ_BENCH_DEVICE").as_deref() {
        Ok("wgpu") => {
            let d = Device::wgpu_options().init().expect("a wgpu adapter");
            let name = d
                .identity()
                .map_or("wgpu".into(), |i| format!("wgpu: {}", i.name));
            (d, name)
        }
        _ => (
            Device::flex(),
            format!("cpu (flex, {} threads)", rayon::current_num_threads()),
        ),
    }
}
