use std::fmt;

/// Why a sampling run stopped.
#[derive(Debug, Clone, PartialEq)]
pub enum SampleError {
    /// A state or denoiser output stopped being finite (NaN or infinity).
    NonFinite {
        what: &'static str,
        trajectory: usize,
        step: usize,
        sigma: f64,
    },
    /// The inputs do not fit together.
    Invalid(String),
}

impl fmt::Display for SampleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SampleError::NonFinite {
                what,
                trajectory,
                step,
                sigma,
            } => write!(
                f,
                "{what} of trajectory {trajectory} is not finite at step {step} (sigma = {sigma}); \
                 the denoiser returned NaN or infinity"
            ),
            SampleError::Invalid(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for SampleError {}
