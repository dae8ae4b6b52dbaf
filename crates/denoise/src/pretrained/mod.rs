//! The papers' pretrained networks, run from the weights users have:
//! the DDPM U-Net of the DDIM code base (and later diffusers' UNet2DModel
//! and EDM's networks), built layer by layer from a checkpoint read by
//! `geotraj_data::weights`, and wrapped as σ-denoisers.

mod ddpm;
mod diffusers_config;
mod discrete;
mod edm_config;
mod edm_layers;
mod error;
mod layers;
mod names;
mod song;

#[cfg(test)]
mod tests;

pub use ddpm::{DdpmConfig, DdpmUnet, flops_per_image, timestep_embedding};
pub use diffusers_config::ddpm_config_from_diffusers;
pub use discrete::{AlphaTable, DiscreteEps, EpsNetwork};
pub use edm_config::{EdmNetworkConfig, edm_config_from_json};
pub use error::PretrainedError;
pub use names::Layout;
pub use song::{SongConfig, SongUnet};

use geotraj_sampling::{Device, Tensor};

impl EpsNetwork for DdpmUnet {
    fn eps(&self, x: Tensor<2>, t: f64) -> Tensor<2> {
        self.forward(x, t)
    }

    fn dim(&self) -> usize {
        self.config().dim()
    }

    fn device(&self) -> Device {
        DdpmUnet::device(self)
    }

    fn describe(&self) -> String {
        let c = self.config();
        format!(
            "DDPM U-Net ({}x{}x{}, ch {}, ch_mult {:?}, {} res blocks, attention at {:?}), {} parameters",
            c.in_channels,
            c.resolution,
            c.resolution,
            c.ch,
            c.ch_mult,
            c.num_res_blocks,
            c.attn_resolutions,
            self.parameters()
        )
    }
}

/// A SongUNet as the raw network F of a preconditioning, for one class
/// (conditional networks) or none.
pub struct SongNetwork {
    pub unet: SongUnet,
    pub class: Option<usize>,
}

impl crate::precondition::Network for SongNetwork {
    fn forward(&self, x_in: Tensor<2>, c_noise: f64) -> Tensor<2> {
        let [b, d] = x_in.dims();
        let c = self.unet.config();
        let (ch, r) = (c.in_channels, c.img_resolution);
        let class = self.unet.class_rows(self.class, b);
        self.unet
            .forward_images(x_in.reshape([b, ch, r, r]), &vec![c_noise; b], class)
            .reshape([b, d])
    }

    fn dim(&self) -> usize {
        self.unet.config().dim()
    }

    fn device(&self) -> Device {
        self.unet.device()
    }

    fn describe(&self) -> String {
        let c = self.unet.config();
        let kind = if c.embedding_type == "fourier" {
            "NCSN++"
        } else {
            "DDPM++"
        };
        let class = match (c.label_dim, self.class) {
            (0, _) => String::new(),
            (_, Some(k)) => format!(", class {k}"),
            (_, None) => ", no class".into(),
        };
        format!(
            "EDM SongUNet {kind} ({}x{}x{}, {} channels, mult {:?}, {} blocks{class}), {} parameters",
            c.in_channels,
            c.img_resolution,
            c.img_resolution,
            c.model_channels,
            c.channel_mult,
            c.num_blocks,
            self.unet.parameters()
        )
    }
}
