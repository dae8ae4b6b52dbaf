//! A discrete-time ε-prediction model as a σ-denoiser for every solver, as
//! k-diffusion's `DiscreteEpsDDPMDenoiser` wraps one (k_diffusion/external.py):
//! σ_t = √((1 − ᾱ_t)/ᾱ_t) from the model's own table, σ → t by linear
//! interpolation in log σ between neighbouring entries (clamped to the
//! table's ends), input scaled by 1/√(σ² + 1), and D = x − σ ε.

use geotraj_sampling::{Denoiser, Device, Tensor};

/// A network that predicts ε from (x_t/√(σ²+1), t) on flattened rows.
pub trait EpsNetwork: Send + Sync {
    fn eps(&self, x: Tensor<2>, t: f64) -> Tensor<2>;
    fn dim(&self) -> usize;
    fn device(&self) -> Device;
    fn describe(&self) -> String;
}

/// The ᾱ table of a discrete schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct AlphaTable {
    pub alphas_cumprod: Vec<f64>,
    /// In words, for provenance ("linear beta 1e-4 to 0.02, T = 1000").
    pub name: String,
}

impl AlphaTable {
    /// β_t linear from `start` to `end` over `steps` (DDPM's, and the DDIM
    /// code base's `beta_schedule: linear`), ᾱ_t = Π (1 − β_s) in f64.
    pub fn linear(start: f64, end: f64, steps: usize) -> Self {
        let mut a = 1.0;
        let alphas_cumprod = (0..steps)
            .map(|i| {
                let beta = if steps > 1 {
                    start + (end - start) * i as f64 / (steps - 1) as f64
                } else {
                    start
                };
                a *= 1.0 - beta;
                a
            })
            .collect();
        AlphaTable {
            alphas_cumprod,
            name: format!("linear beta {start} to {end}, T = {steps}"),
        }
    }

    /// σ_t for every t, increasing.
    pub fn sigmas(&self) -> Vec<f64> {
        self.alphas_cumprod
            .iter()
            .map(|&a| ((1.0 - a) / a).sqrt())
            .collect()
    }
}

/// The wrapper: a `Denoiser` from an ε network and its table.
pub struct DiscreteEps<N: EpsNetwork> {
    pub net: N,
    table: AlphaTable,
    log_sigmas: Vec<f64>,
}

impl<N: EpsNetwork> DiscreteEps<N> {
    /// Needs a table of at least two entries with σ strictly increasing.
    pub fn new(net: N, table: AlphaTable) -> Result<Self, String> {
        let log_sigmas: Vec<f64> = table.sigmas().iter().map(|s| s.ln()).collect();
        let ok = log_sigmas.len() >= 2
            && log_sigmas.iter().all(|l| l.is_finite())
            && log_sigmas.windows(2).all(|w| w[0] < w[1]);
        if !ok {
            return Err(format!(
                "the alphas_cumprod table ({}) must have at least two entries in (0, 1), \
                 strictly decreasing",
                table.name
            ));
        }
        Ok(DiscreteEps {
            net,
            table,
            log_sigmas,
        })
    }

    pub fn table(&self) -> &AlphaTable {
        &self.table
    }

    /// k-diffusion's `sigma_to_t` (quantize = False).
    pub fn sigma_to_t(&self, sigma: f64) -> f64 {
        let ls = &self.log_sigmas;
        let l = sigma.ln();
        // The last index whose log σ is at most l, kept below the last entry.
        let low = ls
            .partition_point(|&x| x <= l)
            .saturating_sub(1)
            .min(ls.len() - 2);
        let w = ((ls[low] - l) / (ls[low] - ls[low + 1])).clamp(0.0, 1.0);
        (1.0 - w) * low as f64 + w * (low + 1) as f64
    }
}

impl<N: EpsNetwork> Denoiser for DiscreteEps<N> {
    fn denoise(&self, x: Tensor<2>, sigma: f64) -> Tensor<2> {
        let c_in = 1.0 / (sigma * sigma + 1.0).sqrt();
        let eps = self
            .net
            .eps(x.clone().mul_scalar(c_in), self.sigma_to_t(sigma));
        x - eps.mul_scalar(sigma)
    }

    fn dim(&self) -> usize {
        self.net.dim()
    }

    fn device(&self) -> Device {
        self.net.device()
    }

    fn describe(&self) -> String {
        format!("{}, discrete ε ({})", self.net.describe(), self.table.name)
    }
}
