//! EDM's `DhariwalUNet`, its reimplementation of ADM (Dhariwal & Nichol):
//! the network of EDM's ImageNet-64 checkpoint. Scale-and-shift
//! conditioning, 64-channel attention heads, box resampling.

use burn::tensor::{Device, Tensor};
use geotraj_data::weights::Weights;
use serde::{Deserialize, Serialize};

use super::edm_block::{Block, Style};
use super::edm_layers::{EdmConv, NoiseEmbedding, Resample, check_levels, edm_norm};
use super::error::PretrainedError;
use super::layers::{Dense, GroupNorm, Loader, load_network, silu};

/// DhariwalUNet's keyword arguments, under EDM's names and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DhariwalConfig {
    pub img_resolution: usize,
    pub in_channels: usize,
    pub out_channels: usize,
    #[serde(default)]
    pub label_dim: usize,
    #[serde(default)]
    pub augment_dim: usize,
    #[serde(default = "d_model_channels")]
    pub model_channels: usize,
    #[serde(default = "d_channel_mult")]
    pub channel_mult: Vec<usize>,
    #[serde(default = "d_mult_emb")]
    pub channel_mult_emb: usize,
    #[serde(default = "d_num_blocks")]
    pub num_blocks: usize,
    #[serde(default = "d_attn")]
    pub attn_resolutions: Vec<usize>,
}

fn d_model_channels() -> usize {
    192
}
fn d_channel_mult() -> Vec<usize> {
    vec![1, 2, 3, 4]
}
fn d_mult_emb() -> usize {
    4
}
fn d_num_blocks() -> usize {
    3
}
fn d_attn() -> Vec<usize> {
    vec![32, 16, 8]
}

/// ADM's blocks: scale and shift, 64-channel heads, skip scale 1, eps 1e-5,
/// resampling skips without a projection.
const ADM: Style = Style {
    adaptive_scale: true,
    channels_per_head: Some(64),
    skip_scale: 1.0,
    eps: 1e-5,
    resample_proj: false,
};

/// DhariwalUNet with its weights.
pub struct DhariwalUnet {
    config: DhariwalConfig,
    map_layer0: Dense,
    map_layer1: Dense,
    map_label: Option<Dense>,
    conv_in: EdmConv,
    enc: Vec<Block>,
    dec: Vec<Block>,
    out_norm: GroupNorm,
    out_conv: EdmConv,
    parameters: usize,
    device: Device,
}

impl DhariwalConfig {
    pub fn dim(&self) -> usize {
        self.in_channels * self.img_resolution * self.img_resolution
    }

    fn check(&self) -> Result<(), String> {
        check_levels(
            self.img_resolution,
            &self.channel_mult,
            self.model_channels,
            self.num_blocks,
        )?;
        Ok(())
    }
}

impl DhariwalUnet {
    pub fn load(
        config: &DhariwalConfig,
        weights: &Weights,
        prefix: Option<&str>,
        device: &Device,
    ) -> Result<Self, PretrainedError> {
        let (mut net, parameters) = load_network(
            "DhariwalUNet",
            config.check(),
            weights,
            "map_layer0.weight",
            prefix,
            device,
            |l| Self::build(config, l, device),
        )?;
        net.parameters = parameters;
        Ok(net)
    }

    fn build(config: &DhariwalConfig, l: &mut Loader, device: &Device) -> Self {
        let c = config;
        let emb = c.model_channels * c.channel_mult_emb;
        // Trained with augmentation labels; sampling passes none.
        if c.augment_dim > 0 {
            l.tensor("map_augment.weight", [c.model_channels, c.augment_dim]);
        }
        let map_layer0 = l.dense("map_layer0", c.model_channels, emb);
        let map_layer1 = l.dense("map_layer1", emb, emb);
        let map_label = (c.label_dim > 0).then(|| l.dense_no_bias("map_label", c.label_dim, emb));
        let mut enc = Vec::new();
        let mut skips = Vec::new();
        let mut cout = c.model_channels * c.channel_mult[0];
        let conv_in = EdmConv::load(
            l,
            &format!("enc.{r}x{r}_conv", r = c.img_resolution),
            c.in_channels,
            cout,
            3,
            true,
            Resample::None,
            2,
        );
        skips.push(cout);
        let block = |l: &mut Loader, name: String, i, o, resample, attn| {
            Block::load(&ADM, l, &name, i, o, emb, resample, attn, 2)
        };
        for (level, &mult) in c.channel_mult.iter().enumerate() {
            let res = c.img_resolution >> level;
            if level > 0 {
                enc.push(block(
                    l,
                    format!("enc.{res}x{res}_down"),
                    cout,
                    cout,
                    Resample::Down,
                    false,
                ));
                skips.push(cout);
            }
            for idx in 0..c.num_blocks {
                let cin = cout;
                cout = c.model_channels * mult;
                let attn = c.attn_resolutions.contains(&res);
                enc.push(block(
                    l,
                    format!("enc.{res}x{res}_block{idx}"),
                    cin,
                    cout,
                    Resample::None,
                    attn,
                ));
                skips.push(cout);
            }
        }
        let mut dec = Vec::new();
        let levels = c.channel_mult.len();
        for (level, &mult) in c.channel_mult.iter().enumerate().rev() {
            let res = c.img_resolution >> level;
            if level == levels - 1 {
                dec.push(block(
                    l,
                    format!("dec.{res}x{res}_in0"),
                    cout,
                    cout,
                    Resample::None,
                    true,
                ));
                dec.push(block(
                    l,
                    format!("dec.{res}x{res}_in1"),
                    cout,
                    cout,
                    Resample::None,
                    false,
                ));
            } else {
                dec.push(block(
                    l,
                    format!("dec.{res}x{res}_up"),
                    cout,
                    cout,
                    Resample::Up,
                    false,
                ));
            }
            for idx in 0..=c.num_blocks {
                let cin = cout + skips.pop().unwrap_or(0);
                cout = c.model_channels * mult;
                let attn = c.attn_resolutions.contains(&res);
                dec.push(block(
                    l,
                    format!("dec.{res}x{res}_block{idx}"),
                    cin,
                    cout,
                    Resample::None,
                    attn,
                ));
            }
        }
        let out_norm = edm_norm(l, "out_norm", cout, 1e-5);
        let out_conv = EdmConv::load(
            l,
            "out_conv",
            cout,
            c.out_channels,
            3,
            true,
            Resample::None,
            2,
        );
        DhariwalUnet {
            config: config.clone(),
            map_layer0,
            map_layer1,
            map_label,
            conv_in,
            enc,
            dec,
            out_norm,
            out_conv,
            parameters: 0,
            device: device.clone(),
        }
    }

    pub fn config(&self) -> &DhariwalConfig {
        &self.config
    }

    pub fn parameters(&self) -> usize {
        self.parameters
    }

    pub fn device(&self) -> Device {
        self.device.clone()
    }

    /// F(x; c_noise, class) for images (B, C, H, W).
    pub fn forward_images(
        &self,
        x: Tensor<4>,
        c_noise: &[f64],
        class: Option<Tensor<2>>,
    ) -> Tensor<4> {
        let device = x.device();
        // ADM's embedding: [cos, sin] at frequencies (1/10⁴)^(k/h), no swap.
        let emb = NoiseEmbedding::Positional {
            channels: self.config.model_channels,
            endpoint: false,
        }
        .embed(c_noise, false, &device);
        let mut emb = self.map_layer1.forward(silu(self.map_layer0.forward(emb)));
        if let (Some(map), Some(class)) = (&self.map_label, class) {
            emb = emb + map.forward(class);
        }
        let emb = silu(emb);
        let mut x = self.conv_in.forward(x);
        let mut skips = vec![x.clone()];
        for b in &self.enc {
            x = b.forward(x, emb.clone());
            skips.push(x.clone());
        }
        for b in &self.dec {
            if x.dims()[1] != b.in_channels {
                let skip = skips.pop().expect("one skip per decoder block");
                x = Tensor::cat(vec![x, skip], 1);
            }
            x = b.forward(x, emb.clone());
        }
        self.out_conv.forward(silu(self.out_norm.forward(x)))
    }
}
