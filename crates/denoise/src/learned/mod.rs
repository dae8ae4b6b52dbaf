//! Learned denoisers: burn networks (a residual MLP and a small U-Net) that
//! sit behind a `Preconditioning`, their training loop (EDM loss, Adam, EMA)
//! and their safetensors checkpoints.

pub mod adam;
pub mod checkpoint;
pub mod classifier;
pub mod config;
pub mod embedding;
pub mod init;
pub mod mlp;
pub mod train;
pub mod unet;

use burn::module::Module;
use burn::tensor::{Device, Tensor};

use crate::precondition::Network;
pub use config::NetConfig;

/// A network of either architecture; the enum variant is part of no
/// checkpoint key (keys are the architecture's own field paths). A run
/// holds one or two, so the variants' size difference does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Net {
    Mlp(mlp::Mlp),
    Unet(unet::Unet),
}

impl Net {
    /// A fresh network with host-drawn weights (the same for a seed on any
    /// device). `config` must have no `problem()`.
    pub fn new(config: &NetConfig, seed: u64, device: &Device) -> Net {
        let net = match config {
            NetConfig::Mlp {
                dim,
                hidden,
                depth,
                embed,
            } => Net::Mlp(mlp::Mlp::new(*dim, *hidden, *depth, *embed, device)),
            NetConfig::Unet {
                channels,
                height,
                width,
                base,
                mults,
                blocks,
                groups,
                embed,
            } => Net::Unet(unet::Unet::new(
                *channels, *height, *width, *base, mults, *blocks, *groups, *embed, device,
            )),
        };
        init::host_init(net, seed)
    }

    /// F(x_in; c_noise) with one c_noise per row.
    pub fn forward(&self, x_in: Tensor<2>, c_noise: &[f64]) -> Tensor<2> {
        match self {
            Net::Mlp(m) => m.forward(x_in, c_noise),
            Net::Unet(u) => u.forward(x_in, c_noise),
        }
    }
}

/// A trained network ready to denoise (no autodiff), with its architecture.
pub struct LearnedNet {
    pub net: Net,
    pub config: NetConfig,
    device: Device,
    label: String,
}

impl LearnedNet {
    pub fn new(net: Net, config: NetConfig, device: Device, label: impl Into<String>) -> Self {
        LearnedNet {
            net: net.valid().to_device(&device),
            config,
            device,
            label: label.into(),
        }
    }
}

impl Network for LearnedNet {
    fn forward(&self, x_in: Tensor<2>, c_noise: f64) -> Tensor<2> {
        let b = x_in.dims()[0];
        self.net.forward(x_in, &vec![c_noise; b])
    }

    fn dim(&self) -> usize {
        self.config.dim()
    }

    fn device(&self) -> Device {
        self.device.clone()
    }

    fn describe(&self) -> String {
        format!("{} ({})", self.config.describe(), self.label)
    }
}

#[cfg(test)]
mod tests;
