//! Network weights from the files users have: safetensors (diffusers, EDM
//! exports, geotraj's own) and PyTorch checkpoints written by `torch.save`
//! (the ZIP format of torch >= 1.6 and the legacy pickle stream before it).
//! Every floating tensor is read into f32 (F32, F16, BF16 and F64 accepted);
//! integer tensors (step counters, BatchNorm's num_batches_tracked) are
//! listed but not read.
//!
//! A checkpoint may nest its state dict (`{"state_dict": ...}`, a list of
//! [model, optimizer], an "ema" entry): names are the dotted path from the
//! root, and an architecture's loader finds its own keys under a prefix.

mod convert;
mod pickle;
mod safetensors_read;
mod tensors;
mod torch;
mod torch_legacy;

#[cfg(test)]
mod tests;

pub use tensors::{WeightTensor, Weights};

use crate::error::DataError;
use std::path::Path;

/// Reads every floating tensor of a weights file, chosen by its first bytes.
pub fn read_weights(path: &Path) -> Result<Weights, DataError> {
    let head = {
        let (mut f, _) = crate::regular::open_regular(path)?;
        crate::regular::read_up_to(&mut f, 8).map_err(|e| DataError::io(path, e))?
    };
    if head.starts_with(b"PK\x03\x04") {
        torch::read(path)
    } else if head.starts_with(&[0x80, 0x02, 0x8a, 0x0a]) {
        torch_legacy::read(path)
    } else if head.len() == 8 && head[..8] != [0; 8] {
        safetensors_read::read(path)
    } else {
        Err(DataError::format(
            path,
            0,
            "a weights file: safetensors (8-byte header length then JSON), a torch.save ZIP \
             checkpoint (PK\\x03\\x04) or a legacy torch.save pickle (\\x80\\x02\\x8a\\x0a)",
        ))
    }
}
