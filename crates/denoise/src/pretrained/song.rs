//! EDM's `SongUNet` (NVlabs/edm training/networks.py): DDPM++ (positional
//! embedding, standard encoder, filter [1, 1]) and NCSN++ (Fourier
//! embedding, residual encoder, filter [1, 3, 3, 1]), the networks of
//! EDM's CIFAR-10, FFHQ and AFHQv2 checkpoints. F(x_in; c_noise, class)
//! behind EDM's preconditioning.

use burn::tensor::{Device, Tensor};
use geotraj_data::weights::Weights;
use serde::{Deserialize, Serialize};

use super::edm_block::{Block, Style};
use super::edm_layers::{EdmConv, NoiseEmbedding, Resample, check_levels, edm_norm};
use super::error::PretrainedError;
use super::layers::{Dense, GroupNorm, Loader, load_network, random_network, silu};

/// SongUNet's keyword arguments, under EDM's names and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SongConfig {
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
    #[serde(default = "d_embedding")]
    pub embedding_type: String,
    #[serde(default = "d_mult_noise")]
    pub channel_mult_noise: usize,
    #[serde(default = "d_standard")]
    pub encoder_type: String,
    #[serde(default = "d_standard")]
    pub decoder_type: String,
    #[serde(default = "d_filter")]
    pub resample_filter: Vec<f64>,
}

fn d_model_channels() -> usize {
    128
}
fn d_channel_mult() -> Vec<usize> {
    vec![1, 2, 2, 2]
}
fn d_mult_emb() -> usize {
    4
}
fn d_num_blocks() -> usize {
    4
}
fn d_attn() -> Vec<usize> {
    vec![16]
}
fn d_embedding() -> String {
    "positional".into()
}
fn d_mult_noise() -> usize {
    1
}
fn d_standard() -> String {
    "standard".into()
}
fn d_filter() -> Vec<f64> {
    vec![1.0, 1.0]
}

impl SongConfig {
    /// EDM's CIFAR-10 DDPM++ (train.py --arch=ddpmpp; augment_dim 9 as its
    /// released checkpoints): 55.7M parameters.
    pub fn ddpmpp_cifar10() -> Self {
        SongConfig {
            img_resolution: 32,
            in_channels: 3,
            out_channels: 3,
            label_dim: 0,
            augment_dim: 9,
            model_channels: 128,
            channel_mult: vec![2, 2, 2],
            channel_mult_emb: 4,
            num_blocks: 4,
            attn_resolutions: vec![16],
            embedding_type: "positional".into(),
            channel_mult_noise: 1,
            encoder_type: "standard".into(),
            decoder_type: "standard".into(),
            resample_filter: vec![1.0, 1.0],
        }
    }

    fn check(&self) -> Result<(), String> {
        if !matches!(self.embedding_type.as_str(), "positional" | "fourier") {
            return Err(format!(
                "embedding_type {:?} (positional or fourier)",
                self.embedding_type
            ));
        }
        if !matches!(self.encoder_type.as_str(), "standard" | "residual") {
            return Err(format!(
                "encoder_type {:?}: geotraj runs standard (DDPM++) and residual (NCSN++)",
                self.encoder_type
            ));
        }
        if self.decoder_type != "standard" {
            return Err(format!(
                "decoder_type {:?}: geotraj runs standard (DDPM++ and NCSN++)",
                self.decoder_type
            ));
        }
        check_levels(
            self.img_resolution,
            &self.channel_mult,
            self.model_channels,
            self.num_blocks,
        )?;
        Ok(())
    }

    pub fn dim(&self) -> usize {
        self.in_channels * self.img_resolution * self.img_resolution
    }
}

const EPS: f64 = 1e-6;

/// SongUNet's blocks: no adaptive scale, one attention head, skip scale √½,
/// eps 1e-6, a 1x1 projection on resampling skips.
const SONG: Style = Style {
    adaptive_scale: false,
    channels_per_head: None,
    skip_scale: std::f64::consts::FRAC_1_SQRT_2,
    eps: EPS,
    resample_proj: true,
};

// Blocks are boxed: device tensors make them several times larger than a conv.
enum Enc {
    Conv(EdmConv),
    Block(Box<Block>),
    /// NCSN++'s residual path from the input: x = skips[-1] = aux = (x + conv(aux)) / √2.
    AuxResidual(EdmConv),
}

enum Dec {
    Block(Box<Block>),
    AuxNorm(Box<GroupNorm>),
    AuxConv(Box<EdmConv>),
}

/// SongUNet with its weights.
pub struct SongUnet {
    config: SongConfig,
    noise: NoiseEmbedding,
    map_label: Option<Dense>,
    map_layer0: Dense,
    map_layer1: Dense,
    enc: Vec<Enc>,
    dec: Vec<Dec>,
    parameters: usize,
    device: Device,
}

impl SongUnet {
    /// Builds the network from a state dict of EDM's precond classes
    /// (keys under "model."; found as the prefix before "map_layer0.weight").
    pub fn load(
        config: &SongConfig,
        weights: &Weights,
        prefix: Option<&str>,
        device: &Device,
    ) -> Result<Self, PretrainedError> {
        let (mut net, parameters) = load_network(
            "SongUNet",
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

    /// The network `config` describes with seeded random weights: for
    /// benchmarks without a weights file.
    pub fn random(config: &SongConfig, seed: u64, device: &Device) -> Result<Self, String> {
        let (mut net, parameters) = random_network(config.check(), seed, device, |l| {
            Self::build(config, l, device)
        })?;
        net.parameters = parameters;
        Ok(net)
    }

    fn build(config: &SongConfig, l: &mut Loader, device: &Device) -> Self {
        let c = config;
        let emb = c.model_channels * c.channel_mult_emb;
        let noise_ch = c.model_channels * c.channel_mult_noise;
        let taps = c.resample_filter.len();
        let noise = if c.embedding_type == "fourier" {
            let freqs = l.buffer("map_noise.freqs", [noise_ch / 2]);
            NoiseEmbedding::Fourier {
                freqs: freqs.into_data().try_into_vec::<f32>().unwrap_or_default(),
            }
        } else {
            NoiseEmbedding::Positional {
                channels: noise_ch,
                endpoint: true,
            }
        };
        let map_label = (c.label_dim > 0).then(|| l.dense("map_label", c.label_dim, noise_ch));
        // Trained with augmentation labels; sampling passes none, so the layer is read, not used.
        if c.augment_dim > 0 {
            l.tensor("map_augment.weight", [noise_ch, c.augment_dim]);
        }
        let map_layer0 = l.dense("map_layer0", noise_ch, emb);
        let map_layer1 = l.dense("map_layer1", emb, emb);
        let mut enc = Vec::new();
        let (mut cout, mut caux) = (c.in_channels, c.in_channels);
        let mut skips = Vec::new();
        for (level, &mult) in c.channel_mult.iter().enumerate() {
            let res = c.img_resolution >> level;
            if level == 0 {
                let cin = cout;
                cout = c.model_channels;
                enc.push(Enc::Conv(EdmConv::load(
                    l,
                    &format!("enc.{res}x{res}_conv"),
                    cin,
                    cout,
                    3,
                    true,
                    Resample::None,
                    taps,
                )));
                skips.push(cout);
            } else {
                enc.push(Enc::Block(Box::new(Block::load(
                    &SONG,
                    l,
                    &format!("enc.{res}x{res}_down"),
                    cout,
                    cout,
                    emb,
                    Resample::Down,
                    false,
                    taps,
                ))));
                skips.push(cout);
                if c.encoder_type == "residual" {
                    enc.push(Enc::AuxResidual(EdmConv::load(
                        l,
                        &format!("enc.{res}x{res}_aux_residual"),
                        caux,
                        cout,
                        3,
                        true,
                        Resample::FusedDown,
                        taps,
                    )));
                    caux = cout;
                }
            }
            for idx in 0..c.num_blocks {
                let cin = cout;
                cout = c.model_channels * mult;
                enc.push(Enc::Block(Box::new(Block::load(
                    &SONG,
                    l,
                    &format!("enc.{res}x{res}_block{idx}"),
                    cin,
                    cout,
                    emb,
                    Resample::None,
                    c.attn_resolutions.contains(&res),
                    taps,
                ))));
                skips.push(cout);
            }
        }
        let mut dec = Vec::new();
        let levels = c.channel_mult.len();
        for (level, &mult) in c.channel_mult.iter().enumerate().rev() {
            let res = c.img_resolution >> level;
            let name = |s: &str| format!("dec.{res}x{res}_{s}");
            if level == levels - 1 {
                dec.push(Dec::Block(Box::new(Block::load(
                    &SONG,
                    l,
                    &name("in0"),
                    cout,
                    cout,
                    emb,
                    Resample::None,
                    true,
                    taps,
                ))));
                dec.push(Dec::Block(Box::new(Block::load(
                    &SONG,
                    l,
                    &name("in1"),
                    cout,
                    cout,
                    emb,
                    Resample::None,
                    false,
                    taps,
                ))));
            } else {
                dec.push(Dec::Block(Box::new(Block::load(
                    &SONG,
                    l,
                    &name("up"),
                    cout,
                    cout,
                    emb,
                    Resample::Up,
                    false,
                    taps,
                ))));
            }
            for idx in 0..=c.num_blocks {
                let cin = cout + skips.pop().unwrap_or(0);
                cout = c.model_channels * mult;
                let attn = idx == c.num_blocks && c.attn_resolutions.contains(&res);
                dec.push(Dec::Block(Box::new(Block::load(
                    &SONG,
                    l,
                    &name(&format!("block{idx}")),
                    cin,
                    cout,
                    emb,
                    Resample::None,
                    attn,
                    taps,
                ))));
            }
            if level == 0 {
                dec.push(Dec::AuxNorm(Box::new(edm_norm(
                    l,
                    &name("aux_norm"),
                    cout,
                    EPS,
                ))));
                dec.push(Dec::AuxConv(Box::new(EdmConv::load(
                    l,
                    &name("aux_conv"),
                    cout,
                    c.out_channels,
                    3,
                    true,
                    Resample::None,
                    taps,
                ))));
            }
        }
        SongUnet {
            config: config.clone(),
            noise,
            map_label,
            map_layer0,
            map_layer1,
            enc,
            dec,
            parameters: 0,
            device: device.clone(),
        }
    }

    pub fn config(&self) -> &SongConfig {
        &self.config
    }

    pub fn parameters(&self) -> usize {
        self.parameters
    }

    pub fn device(&self) -> Device {
        self.device.clone()
    }

    /// F(x; c_noise, class): images (B, C, H, W), one noise label per image,
    /// one-hot class rows (B, label_dim) for a conditional network.
    pub fn forward_images(
        &self,
        x: Tensor<4>,
        c_noise: &[f64],
        class: Option<Tensor<2>>,
    ) -> Tensor<4> {
        let device = x.device();
        let mut emb = self.noise.embed(c_noise, true, &device);
        if let (Some(map), Some(class)) = (&self.map_label, class) {
            emb = emb + map.forward(class.mul_scalar((self.config.label_dim as f64).sqrt()));
        }
        let emb = silu(self.map_layer1.forward(silu(self.map_layer0.forward(emb))));
        let mut skips: Vec<Tensor<4>> = Vec::new();
        let mut x = x.clone();
        let mut aux = x.clone();
        for e in &self.enc {
            match e {
                Enc::Conv(conv) => {
                    x = conv.forward(x);
                    skips.push(x.clone());
                }
                Enc::Block(b) => {
                    x = b.forward(x, emb.clone());
                    skips.push(x.clone());
                }
                Enc::AuxResidual(conv) => {
                    x = (x + conv.forward(aux)).mul_scalar(0.5f64.sqrt());
                    aux = x.clone();
                    *skips.last_mut().expect("a skip before the aux path") = x.clone();
                }
            }
        }
        let mut tmp = None;
        let mut out = None;
        for d in &self.dec {
            match d {
                Dec::Block(b) => {
                    if x.dims()[1] != b.in_channels {
                        let skip = skips.pop().expect("one skip per decoder block");
                        x = Tensor::cat(vec![x, skip], 1);
                    }
                    x = b.forward(x, emb.clone());
                }
                Dec::AuxNorm(n) => tmp = Some(n.forward(x.clone())),
                Dec::AuxConv(conv) => {
                    out = Some(conv.forward(silu(tmp.take().expect("aux_norm before aux_conv"))));
                }
            }
        }
        out.expect("the decoder ends with aux_conv")
    }
}
