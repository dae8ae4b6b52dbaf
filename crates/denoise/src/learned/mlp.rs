//! A residual MLP: h = W_in x; per block h += W2 silu(W1 silu(h) + W_t t);
//! F = W_out silu(h), with t an MLP of the sinusoidal noise embedding.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::silu;
use burn::tensor::{Device, Tensor};

use super::embedding::embed_into;

#[derive(Module, Debug)]
pub struct MlpBlock {
    hidden: Linear,
    noise: Linear,
    out_zero: Linear,
}

#[derive(Module, Debug)]
pub struct Mlp {
    embed_1: Linear,
    embed_2: Linear,
    input: Linear,
    blocks: Vec<MlpBlock>,
    output_zero: Linear,
}

impl Mlp {
    pub fn new(dim: usize, hidden: usize, depth: usize, embed: usize, device: &Device) -> Self {
        let lin = |i, o| LinearConfig::new(i, o).init(device);
        Mlp {
            embed_1: lin(embed, hidden),
            embed_2: lin(hidden, hidden),
            input: lin(dim, hidden),
            blocks: (0..depth)
                .map(|_| MlpBlock {
                    hidden: lin(hidden, hidden),
                    noise: lin(hidden, hidden),
                    out_zero: lin(hidden, hidden),
                })
                .collect(),
            output_zero: lin(hidden, dim),
        }
    }

    /// x: (B, d) already scaled by c_in; one c_noise per row.
    pub fn forward(&self, x: Tensor<2>, c_noise: &[f64]) -> Tensor<2> {
        let emb = embed_into(&self.embed_1, c_noise, &x.device());
        let t = self.embed_2.forward(silu(emb));
        let mut h = self.input.forward(x);
        for b in &self.blocks {
            let u = b.hidden.forward(silu(h.clone())) + b.noise.forward(t.clone());
            h = h + b.out_zero.forward(silu(u));
        }
        self.output_zero.forward(silu(h))
    }
}
