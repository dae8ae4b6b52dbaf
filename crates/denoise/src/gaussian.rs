//! The exact denoiser of isotropic Gaussian data N(mu, s^2 I):
//! D(x; sigma) = mu + s^2 / (s^2 + sigma^2) (x - mu).

use geotraj_sampling::{Denoiser, Device, Tensor, host};

pub struct GaussianDenoiser {
    mean: Vec<f32>,
    /// The mean as a 1 x d row on the device, uploaded once.
    mean_row: Tensor<2>,
    std: f64,
    device: Device,
}

impl GaussianDenoiser {
    pub fn new(mean: Vec<f32>, std: f64, device: Device) -> Self {
        let mean_row = host::upload(&mean, 1, mean.len(), &device);
        Self {
            mean,
            mean_row,
            std,
            device,
        }
    }

    /// The closed-form PF-ODE flow of this law from (x0, sigma0) to sigma:
    /// x(sigma) = mu + sqrt((s^2 + sigma^2) / (s^2 + sigma0^2)) (x0 - mu).
    pub fn flow(&self, x0: &[f64], sigma0: f64, sigma: f64) -> Vec<f64> {
        let s2 = self.std * self.std;
        let k = ((s2 + sigma * sigma) / (s2 + sigma0 * sigma0)).sqrt();
        x0.iter()
            .zip(self.mean.iter().cycle())
            .map(|(&x, &m)| m as f64 + k * (x - m as f64))
            .collect()
    }
}

impl Denoiser for GaussianDenoiser {
    fn denoise(&self, x: Tensor<2>, sigma: f64) -> Tensor<2> {
        let s2 = self.std * self.std;
        let a = s2 / (s2 + sigma * sigma);
        // mu + a (x - mu) = a x + (1 - a) mu
        x.mul_scalar(a) + self.mean_row.clone().mul_scalar(1.0 - a)
    }

    fn dim(&self) -> usize {
        self.mean.len()
    }

    fn device(&self) -> Device {
        self.device.clone()
    }

    fn describe(&self) -> String {
        format!(
            "analytic Gaussian N(mu, {}^2 I), d = {}",
            self.std,
            self.mean.len()
        )
    }
}
