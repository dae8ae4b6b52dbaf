use burn::tensor::{Device, Tensor};

/// Anything that estimates E[x_0 | x_sigma]: the optimal denoiser of a data set,
/// analytic denoisers, learned networks behind a preconditioning.
/// Solvers see nothing else.
pub trait Denoiser: Send + Sync {
    /// D(x; sigma) for a batch of flattened states (batch x d) on `self.device()`.
    fn denoise(&self, x: Tensor<2>, sigma: f64) -> Tensor<2>;
    /// D(x; sigma) for rows that are the run's trajectories `first..first + batch`.
    /// Only a denoiser whose output depends on the trajectory (a
    /// class-conditional network with a class per trajectory) overrides it;
    /// such a denoiser's `denoise` takes its rows as trajectories 0..batch.
    fn denoise_rows(&self, x: Tensor<2>, sigma: f64, first: usize) -> Tensor<2> {
        let _ = first;
        self.denoise(x, sigma)
    }
    /// The state dimension d.
    fn dim(&self) -> usize;
    /// The device that inputs must live on and outputs come back on.
    fn device(&self) -> Device;
    /// A short human-readable description for provenance.
    fn describe(&self) -> String;
}
