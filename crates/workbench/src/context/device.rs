//! `--device auto|cpu|wgpu`. auto prefers a hardware GPU and never picks a
//! software adapter (llvmpipe, lavapipe), which is ~70x slower than the CPU.

use burn::tensor::Device;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum DeviceChoice {
    #[default]
    Auto,
    Cpu,
    Wgpu,
}

/// The chosen device and a description for provenance.
pub struct Selected {
    pub device: Device,
    pub description: String,
}

fn cpu() -> Selected {
    Selected {
        device: Device::flex(),
        description: format!("cpu (burn flex, {} threads)", rayon::current_num_threads()),
    }
}

fn describe(device: &Device) -> String {
    match device.identity() {
        Some(id) => format!(
            "wgpu: {}{}",
            id.name,
            if id.physical.is_some() {
                ""
            } else {
                " (software adapter)"
            }
        ),
        None => "wgpu".into(),
    }
}

pub fn select(choice: DeviceChoice) -> anyhow::Result<Selected> {
    match choice {
        DeviceChoice::Cpu => Ok(cpu()),
        DeviceChoice::Wgpu => {
            // burn registers its wgpu runtime once per process and a second
            // `init` fails ("already initialized"), so every run of one
            // process (`run-experiment --all`) shares the first answer.
            static WGPU: OnceLock<Result<(Device, String), String>> = OnceLock::new();
            let first = WGPU.get_or_init(|| {
                // Adapter start-up may panic inside the driver stack; report it.
                let init = catch_unwind(AssertUnwindSafe(|| Device::wgpu_options().init()));
                match init {
                    Ok(Ok(device)) => Ok((device.clone(), describe(&device))),
                    Ok(Err(e)) => Err(format!(
                        "--device wgpu: no wgpu adapter could be started: {e}"
                    )),
                    Err(_) => Err("--device wgpu: the wgpu runtime panicked while starting".into()),
                }
            });
            first
                .clone()
                .map(|(device, description)| Selected {
                    device,
                    description,
                })
                .map_err(anyhow::Error::msg)
        }
        DeviceChoice::Auto => {
            // Enumeration opens every device of every runtime (burn: "call it
            // once and keep the answer"), so a process that runs several
            // experiments (`--all`) asks once. Not yet checked on a hardware GPU.
            static GPU: OnceLock<Option<Device>> = OnceLock::new();
            let gpu = GPU
                .get_or_init(|| {
                    // On a headless machine the driver stack prints errors
                    // (libwayland: "XDG_RUNTIME_DIR is invalid") while it
                    // finds nothing; the answer is the run's to report.
                    let gpus = quiet_stderr(|| catch_unwind(Device::enumerate_physical))
                        .unwrap_or_default();
                    gpus.iter().find_map(|g| g.devices.first().cloned())
                })
                .clone();
            Ok(match gpu {
                Some(device) => Selected {
                    description: describe(&device),
                    device,
                },
                None => cpu(),
            })
        }
    }
}

/// Runs `f` with the process's stderr sent to /dev/null (the file
/// descriptor, so C libraries are silenced too), then restores it.
fn quiet_stderr<T>(f: impl FnOnce() -> T) -> T {
    // SAFETY: plain descriptor calls; every failure leaves stderr as it was.
    let saved = unsafe { libc::dup(2) };
    let null = std::fs::OpenOptions::new().write(true).open("/dev/null");
    let redirected = match (&null, saved >= 0) {
        (Ok(n), true) => unsafe { libc::dup2(std::os::fd::AsRawFd::as_raw_fd(n), 2) >= 0 },
        _ => false,
    };
    let out = f();
    if redirected {
        unsafe { libc::dup2(saved, 2) };
    }
    if saved >= 0 {
        unsafe { libc::close(saved) };
    }
    out
}
