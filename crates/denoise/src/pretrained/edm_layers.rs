//! The layers of EDM's networks (NVlabs/edm training/networks.py) with its
//! semantics: convolutions that resample with a separable FIR filter
//! (depthwise, stride 2; [1, 1] is nearest-neighbour / box, [1, 3, 3, 1]
//! NCSN++'s), fused or not, and GroupNorm with at least 4 channels a group.

use burn::tensor::module::{conv_transpose2d, conv2d};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::{Device, Tensor};

use super::layers::{GroupNorm, Loader, sinusoids};

/// How a convolution resamples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resample {
    None,
    Up,
    Down,
    /// Convolve, then filter down (EDM's fused_resample with down).
    FusedDown,
}

/// EDM's Conv2d: an optional k x k convolution (k = 0: none) around an
/// optional 2x resampling by the filter buffer.
#[derive(Debug, Clone)]
pub struct EdmConv {
    weight: Option<Tensor<4>>,
    bias: Option<Tensor<1>>,
    /// The 2-D filter (1, 1, f, f), outer(f, f)/sum(f)², as the file holds it.
    filter: Option<Tensor<4>>,
    resample: Resample,
}

impl EdmConv {
    #[allow(clippy::too_many_arguments)]
    pub fn load(
        l: &mut Loader,
        name: &str,
        i: usize,
        o: usize,
        k: usize,
        bias: bool,
        resample: Resample,
        taps: usize,
    ) -> Self {
        let weight = (k > 0).then(|| l.tensor(&format!("{name}.weight"), [o, i, k, k]));
        let bias = (k > 0 && bias).then(|| l.tensor(&format!("{name}.bias"), [o]));
        let filter = (resample != Resample::None)
            .then(|| l.buffer(&format!("{name}.resample_filter"), [1, 1, taps, taps]));
        EdmConv {
            weight,
            bias,
            filter,
            resample,
        }
    }

    /// The filter tiled for a depthwise convolution over `c` channels.
    fn depthwise(&self, c: usize, scale: f64) -> Tensor<4> {
        let f = self.filter.clone().expect("a resampling conv has a filter");
        let [_, _, t, _] = f.dims();
        f.mul_scalar(scale).repeat_dim(0, c).reshape([c, 1, t, t])
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let c = x.dims()[1];
        let w_pad = self.weight.as_ref().map_or(0, |w| w.dims()[3] / 2);
        let f_pad = self.filter.as_ref().map_or(0, |f| (f.dims()[3] - 1) / 2);
        let conv = |x: Tensor<4>, pad: usize| match &self.weight {
            Some(w) => conv2d(
                x,
                w.clone(),
                None,
                ConvOptions::new([1, 1], [pad, pad], [1, 1], 1),
            ),
            None => x,
        };
        let x = match self.resample {
            Resample::None => conv(x, w_pad),
            Resample::Up => {
                let up = conv_transpose2d(
                    x,
                    self.depthwise(c, 4.0),
                    None,
                    ConvTransposeOptions::new([2, 2], [f_pad, f_pad], [0, 0], [1, 1], c),
                );
                conv(up, w_pad)
            }
            Resample::Down => {
                let down = conv2d(
                    x,
                    self.depthwise(c, 1.0),
                    None,
                    ConvOptions::new([2, 2], [f_pad, f_pad], [1, 1], c),
                );
                conv(down, w_pad)
            }
            Resample::FusedDown => {
                let y = conv(x, w_pad + f_pad);
                let o = y.dims()[1];
                conv2d(
                    y,
                    self.depthwise(o, 1.0),
                    None,
                    ConvOptions::new([2, 2], [0, 0], [1, 1], o),
                )
            }
        };
        match &self.bias {
            Some(b) => {
                let o = b.dims()[0];
                x + b.clone().reshape([1, o, 1, 1])
            }
            None => x,
        }
    }
}

/// EDM's GroupNorm: min(32, C / 4) groups.
pub fn edm_norm(l: &mut Loader, name: &str, c: usize, eps: f64) -> GroupNorm {
    l.group_norm(name, 32.min(c / 4).max(1), c, eps)
}

/// EDM's noise embeddings: [cos, sin] as computed, [sin, cos] after
/// SongUNet's swap of halves.
#[derive(Debug, Clone)]
pub enum NoiseEmbedding {
    /// Frequencies (1/10⁴)^(k/(h − 1)) (endpoint: DDPM++) or (1/10⁴)^(k/h)
    /// (ADM), in f32 as EDM computes them.
    Positional { channels: usize, endpoint: bool },
    /// NCSN++: 2π times the file's random frequencies.
    Fourier { freqs: Vec<f32> },
}

impl NoiseEmbedding {
    pub fn embed(&self, c_noise: &[f64], sin_first: bool, device: &Device) -> Tensor<2> {
        let freqs: Vec<f32> = match self {
            NoiseEmbedding::Positional { channels, endpoint } => {
                let half = channels / 2;
                let span = if *endpoint { half - 1 } else { half };
                (0..half)
                    .map(|k| (1.0f32 / 10000.0).powf(k as f32 / span as f32))
                    .collect()
            }
            NoiseEmbedding::Fourier { freqs } => freqs
                .iter()
                .map(|f| (2.0 * std::f64::consts::PI) as f32 * f)
                .collect(),
        };
        sinusoids(c_noise, &freqs, sin_first, 2 * freqs.len(), device)
    }
}

/// The shape rules both EDM networks share: positive sizes, and a
/// resolution that halves once per level after the first.
pub fn check_levels(
    img_resolution: usize,
    channel_mult: &[usize],
    model_channels: usize,
    num_blocks: usize,
) -> Result<(), String> {
    if model_channels < 4 || channel_mult.is_empty() || channel_mult.contains(&0) || num_blocks == 0
    {
        return Err(
            "model_channels (at least 4), channel_mult and num_blocks must be positive".into(),
        );
    }
    let halvings = channel_mult.len() - 1;
    let fits = u32::try_from(halvings)
        .ok()
        .and_then(|h| img_resolution.checked_shr(h).map(|r| (r, h)))
        .is_some_and(|(r, h)| r > 0 && r << h == img_resolution);
    if !fits {
        return Err(format!(
            "img_resolution {img_resolution} does not halve {halvings} times"
        ));
    }
    Ok(())
}
