//! The papers' pretrained networks, run from the weights users have:
//! the DDPM U-Net of the DDIM code base and diffusers' UNet2DModel, EDM's
//! SongUNet and DhariwalUNet, built layer by layer from a checkpoint read
//! by `geotraj_data::weights`, and wrapped as σ-denoisers.

mod ddpm;
mod dhariwal;
mod diffusers_config;
mod discrete;
mod edm;
mod edm_block;
mod edm_config;
mod edm_layers;
mod error;
mod inception;
mod layers;
mod names;
mod song;

#[cfg(test)]
mod edm_tests;
#[cfg(test)]
mod inception_tests;
#[cfg(test)]
mod tests;

pub use ddpm::{DdpmConfig, DdpmUnet, flops_per_image, timestep_embedding};
pub use dhariwal::{DhariwalConfig, DhariwalUnet};
pub use diffusers_config::ddpm_config_from_diffusers;
pub use discrete::{AlphaTable, DiscreteEps, EpsNetwork};
pub use edm::{Classes, EdmNetwork, EdmUnet, IddpmPrecond, keyed_class};
pub use edm_config::{EdmArch, EdmNetworkConfig, EdmPreconditioning, edm_config_from_json};
pub use error::PretrainedError;
pub use inception::{FID_DIMS, FidInception, INCEPTION_FEATURES, INCEPTION_SIZE};
pub use layers::Formula;
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
