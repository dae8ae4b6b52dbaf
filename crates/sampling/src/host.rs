//! Moves between host f32 rows and device tensors.

use burn::tensor::{Device, Tensor, TensorData};

/// Uploads `rows` (b x d, row-major) to `device`.
pub fn upload(rows: &[f32], b: usize, d: usize, device: &Device) -> Tensor<2> {
    debug_assert_eq!(rows.len(), b * d);
    Tensor::from_data(TensorData::new(rows.to_vec(), [b, d]), device)
}

/// Reads a float tensor back as row-major f32.
pub fn download(t: Tensor<2>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .expect("a float tensor converted to f32 reads back as f32")
}
