//! Initial weights drawn on the host from the project's counter-based RNG, so
//! that a seed gives the same network on every device and thread count
//! (burn's own initialisers draw lazily from a per-backend generator).

use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::{Tensor, TensorData};
use geotraj_data::rng::Stream;

/// Module fields whose name ends in this are zero-initialised: the last layer
/// of every residual branch and the output layer, so that a fresh network is
/// close to the identity on its skip paths (as in EDM's and DDPM's U-Nets).
pub const ZERO_SUFFIX: &str = "_zero";

/// Replaces every float parameter of `module`: biases and group-norm shifts 0,
/// group-norm scales 1, weights uniform with variance 1/fan_in (Linear weights
/// are [in, out], conv weights [out, in, kh, kw]), zero under a `_zero` field.
pub fn host_init<M: Module>(module: M, seed: u64) -> M {
    module.map(&mut HostInit {
        seed,
        index: 0,
        path: Vec::new(),
    })
}

struct HostInit {
    seed: u64,
    index: u64,
    path: Vec<String>,
}

impl ModuleMapper for HostInit {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let shape = param.lazy_shape();
        let device = param.lazy_device();
        let dims = shape.to_vec();
        let n: usize = dims.iter().product();
        let name = self.path.last().map(String::as_str).unwrap_or("");
        let zero = self.path.iter().any(|p| p.ends_with(ZERO_SUFFIX));
        let mut stream = Stream::new(self.seed, 0x1217_0000_0000 + self.index);
        self.index += 1;
        let values: Vec<f32> = match (name, D) {
            ("gamma", _) => vec![1.0; n],
            ("bias" | "beta", _) => vec![0.0; n],
            _ if zero => vec![0.0; n],
            (_, 2) | (_, 4) => {
                let fan_in = if D == 2 {
                    dims[0]
                } else {
                    dims[1..].iter().product()
                };
                let bound = (3.0f64 / fan_in as f64).sqrt();
                (0..n)
                    .map(|_| ((2.0 * stream.uniform() - 1.0) * bound) as f32)
                    .collect()
            }
            _ => vec![0.0; n],
        };
        Param::from_tensor(Tensor::from_data(TensorData::new(values, shape), &device))
    }
}
