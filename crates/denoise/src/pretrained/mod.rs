//! The papers' pretrained networks, run from the weights users have:
//! the DDPM U-Net of the DDIM code base (and later diffusers' UNet2DModel
//! and EDM's networks), built layer by layer from a checkpoint read by
//! `geotraj_data::weights`, and wrapped as σ-denoisers.

mod ddpm;
mod dhariwal;
mod diffusers_config;
mod discrete;
mod edm_block;
mod edm_config;
mod edm_layers;
mod error;
mod layers;
mod names;
mod song;

#[cfg(test)]
mod tests;

pub use ddpm::{DdpmConfig, DdpmUnet, flops_per_image, timestep_embedding};
pub use dhariwal::{DhariwalConfig, DhariwalUnet};
pub use diffusers_config::ddpm_config_from_diffusers;
pub use discrete::{AlphaTable, DiscreteEps, EpsNetwork};
pub use edm_config::{EdmArch, EdmNetworkConfig, edm_config_from_json};
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

/// One of EDM's networks (boxed: their layers are large and of different sizes).
pub enum EdmUnet {
    Song(Box<SongUnet>),
    Dhariwal(Box<DhariwalUnet>),
}

impl EdmUnet {
    /// Builds the network `config` describes from an exported state dict.
    pub fn load(
        config: &EdmNetworkConfig,
        weights: &geotraj_data::weights::Weights,
        prefix: Option<&str>,
        device: &Device,
    ) -> Result<Self, PretrainedError> {
        Ok(match &config.arch {
            EdmArch::Song(c) => {
                EdmUnet::Song(Box::new(SongUnet::load(c, weights, prefix, device)?))
            }
            EdmArch::Dhariwal(c) => {
                EdmUnet::Dhariwal(Box::new(DhariwalUnet::load(c, weights, prefix, device)?))
            }
        })
    }

    pub fn parameters(&self) -> usize {
        match self {
            EdmUnet::Song(u) => u.parameters(),
            EdmUnet::Dhariwal(u) => u.parameters(),
        }
    }

    /// (channels, resolution, classes).
    fn shape(&self) -> (usize, usize, usize) {
        match self {
            EdmUnet::Song(u) => {
                let c = u.config();
                (c.in_channels, c.img_resolution, c.label_dim)
            }
            EdmUnet::Dhariwal(u) => {
                let c = u.config();
                (c.in_channels, c.img_resolution, c.label_dim)
            }
        }
    }

    fn device(&self) -> Device {
        match self {
            EdmUnet::Song(u) => u.device(),
            EdmUnet::Dhariwal(u) => u.device(),
        }
    }

    /// A one-hot class row per image, or None for an unconditional network
    /// (EDM's zero label when no class is chosen).
    fn class_rows(&self, class: Option<usize>, batch: usize) -> Option<Tensor<2>> {
        let (_, _, n) = self.shape();
        (n > 0).then(|| {
            let mut rows = vec![0f32; batch * n];
            if let Some(k) = class.filter(|&k| k < n) {
                for r in 0..batch {
                    rows[r * n + k] = 1.0;
                }
            }
            Tensor::from_data(
                burn::tensor::TensorData::new(rows, [batch, n]),
                &self.device(),
            )
        })
    }
}

/// An EDM network as the raw network F of its preconditioning, for one
/// class (conditional networks) or none.
pub struct EdmNetwork {
    pub unet: EdmUnet,
    pub class: Option<usize>,
}

impl crate::precondition::Network for EdmNetwork {
    fn forward(&self, x_in: Tensor<2>, c_noise: f64) -> Tensor<2> {
        let [b, d] = x_in.dims();
        let (ch, r, _) = self.unet.shape();
        let x = x_in.reshape([b, ch, r, r]);
        let class = self.unet.class_rows(self.class, b);
        let noise = vec![c_noise; b];
        let out = match &self.unet {
            EdmUnet::Song(u) => u.forward_images(x, &noise, class),
            EdmUnet::Dhariwal(u) => u.forward_images(x, &noise, class),
        };
        out.reshape([b, d])
    }

    fn dim(&self) -> usize {
        let (ch, r, _) = self.unet.shape();
        ch * r * r
    }

    fn device(&self) -> Device {
        self.unet.device()
    }

    fn describe(&self) -> String {
        let (ch, r, labels) = self.unet.shape();
        let kind = match &self.unet {
            EdmUnet::Song(u) if u.config().embedding_type == "fourier" => "SongUNet NCSN++",
            EdmUnet::Song(_) => "SongUNet DDPM++",
            EdmUnet::Dhariwal(_) => "DhariwalUNet (ADM)",
        };
        let class = match (labels, self.class) {
            (0, _) => String::new(),
            (_, Some(k)) => format!(", class {k} of {labels}"),
            (_, None) => format!(", no class of {labels}"),
        };
        format!(
            "EDM {kind} ({ch}x{r}x{r}{class}), {} parameters",
            self.unet.parameters()
        )
    }
}
