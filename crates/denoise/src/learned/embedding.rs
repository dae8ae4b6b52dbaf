//! The sinusoidal noise embedding, computed on the host: c_noise is data
//! (never trained through), so there is nothing to differentiate.

use burn::nn::Linear;
use burn::tensor::{Device, Tensor, TensorData};

/// Highest angular frequency of the embedding. c_noise = ln(σ)/4 spans about
/// 2.6 over σ ∈ [0.002, 80], so frequencies from 1 to 64 resolve it finely
/// without aliasing neighbouring noise levels.
const MAX_FREQUENCY: f64 = 64.0;

/// [cos(f_k c), sin(f_k c)] for k < size/2, f_k geometric from 1 to 64, one
/// row per c_noise.
pub fn embed(c_noise: &[f64], size: usize, device: &Device) -> Tensor<2> {
    let half = size / 2;
    let freqs: Vec<f64> = (0..half)
        .map(|k| {
            let t = if half > 1 {
                k as f64 / (half - 1) as f64
            } else {
                0.0
            };
            MAX_FREQUENCY.powf(t)
        })
        .collect();
    let mut rows = Vec::with_capacity(c_noise.len() * size);
    for &c in c_noise {
        rows.extend(freqs.iter().map(|f| (f * c).cos() as f32));
        rows.extend(freqs.iter().map(|f| (f * c).sin() as f32));
    }
    Tensor::from_data(TensorData::new(rows, [c_noise.len(), size]), device)
}

/// The embedding of `c_noise` fed through a network's first embedding
/// layer, whose input width is the embedding size.
pub fn embed_into(layer: &Linear, c_noise: &[f64], device: &Device) -> Tensor<2> {
    let size = layer.weight.lazy_shape()[0];
    layer.forward(embed(c_noise, size, device))
}
