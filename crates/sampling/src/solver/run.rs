//! Running a solver: the dispatch from a `Solver` to its loop.

use super::kind::Solver;
use super::{exponential, multistep, single_step, stochastic};
use crate::SampleError;
use crate::record::Recorder;
use burn::tensor::Tensor;

impl Solver {
    /// Integrates from x_0 (already scaled by sigma_0) and returns x_N.
    pub fn run(
        &self,
        rec: &mut Recorder,
        x: Tensor<2>,
        sigmas: &[f64],
    ) -> Result<Tensor<2>, SampleError> {
        match *self {
            Solver::Euler => single_step::euler(rec, x, sigmas),
            Solver::Heun => single_step::heun(rec, x, sigmas),
            Solver::Dpm2 => single_step::dpm2(rec, x, sigmas),
            Solver::DpmPp2m => exponential::dpmpp_2m(rec, x, sigmas),
            Solver::UniPc { order } => exponential::unipc(rec, x, sigmas, order),
            Solver::Ipndm { order } => multistep::ipndm(rec, x, sigmas, order),
            Solver::Deis { order } => multistep::deis(rec, x, sigmas, order),
            Solver::Lms { order } => multistep::lms(rec, x, sigmas, order),
            Solver::GradientEstimation { gamma, mu } => {
                stochastic::gradient_estimation(rec, x, sigmas, gamma, mu)
            }
            Solver::EdmStochastic {
                churn,
                s_min,
                s_max,
                s_noise,
            } => stochastic::edm(rec, x, sigmas, churn, s_min, s_max, s_noise),
        }
    }
}
