//! The tensor arithmetic every solver loop shares.

use burn::tensor::Tensor;

/// eps(x, sigma) from a denoiser output.
pub(super) fn eps(x: &Tensor<2>, denoised: Tensor<2>, sigma: f64) -> Tensor<2> {
    (x.clone() - denoised).div_scalar(sigma)
}

/// sum_j c_j v_j over a non-empty list.
pub(super) fn combine(terms: impl IntoIterator<Item = (f64, Tensor<2>)>) -> Tensor<2> {
    terms
        .into_iter()
        .map(|(c, v)| v.mul_scalar(c))
        .reduce(|a, b| a + b)
        .expect("at least one term")
}
