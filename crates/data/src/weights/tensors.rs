//! What a weights file holds once read: its floating tensors by name.

use crate::error::DataError;
use crate::limits::max_payload;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One floating tensor, row-major, as f32.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightTensor {
    pub shape: Vec<usize>,
    /// The dtype in the file (F32, F16, BF16, F64).
    pub dtype: &'static str,
    pub values: Vec<f32>,
}

/// All tensors of one weights file, by dotted name.
#[derive(Debug, Clone)]
pub struct Weights {
    pub path: PathBuf,
    /// "safetensors", "torch zip" or "torch legacy".
    pub format: &'static str,
    pub tensors: BTreeMap<String, WeightTensor>,
    /// Non-floating tensors (name, dtype), which no network here reads.
    pub other: Vec<(String, String)>,
}

impl Weights {
    /// The number of floating values.
    pub fn parameters(&self) -> usize {
        self.tensors.values().map(|t| t.values.len()).sum()
    }
}

/// Refuses a file whose tensors, as f32, would exceed the payload cap.
pub(super) fn check_cap(path: &Path, elements: u64) -> Result<(), DataError> {
    let (cap, source) = max_payload();
    let bytes = elements.saturating_mul(4);
    if bytes > cap {
        return Err(DataError::Invalid(format!(
            "{}: its tensors need {bytes} bytes as f32, over the {cap}-byte cap ({source})",
            path.display()
        )));
    }
    Ok(())
}
