//! Integration tests of the library face and the binary, in one test binary
//! (each extra binary costs a link of the whole stack).

mod analyze;
mod bad_input;
mod batching;
mod common;
mod data_relative;
mod end_to_end;
mod export;
mod fid;
mod fuzz_plan;
mod gaussian_ode;
mod gits;
mod hostile;
mod image_grid;
mod interrupt;
mod jump_quality;
mod layout;
mod learned;
mod mean_shift;
mod optimal;
mod parity;
mod pretrained;
mod reports;
mod solvers;
mod sweeps;
mod wgpu;
