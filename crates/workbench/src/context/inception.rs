//! Inception features of image rows, as FID needs them: pytorch-fid's
//! network loaded from the user's weights file, and images in geotraj's
//! [−1, 1] quantised to 8 bits as EDM's generate.py saves a sample.

use anyhow::{Context as _, bail};
use burn::tensor::{Device, Tensor, TensorData};
use geotraj_data::weights::read_weights;
use geotraj_denoise::pretrained::FidInception;
use std::path::Path;

/// Where users get the weights (nothing is downloaded at run time).
pub const WEIGHTS_URL: &str = "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth";

/// Images per Inception forward pass (pytorch-fid's default batch).
pub const BATCH: usize = 50;

/// pytorch-fid's weights, with a pointer to them when the file is absent.
pub fn load_inception(path: &Path, device: &Device) -> anyhow::Result<FidInception> {
    if !path.is_file() {
        bail!(
            "{}: not a file; FID needs pytorch-fid's Inception weights \
             (pt_inception-2015-12-05-6726825d.pth, 91 MB, from {WEIGHTS_URL}); nothing is downloaded",
            path.display()
        );
    }
    let weights =
        read_weights(path).with_context(|| format!("Inception weights {}", path.display()))?;
    Ok(FidInception::load(&weights, None, device)?)
}

/// (C, H, W) of items of shape `item_shape` (1 or 3 channels, or H x W),
/// or an error saying that `what` needs images.
pub fn image_shape(item_shape: &[usize], source: &str, what: &str) -> anyhow::Result<[usize; 3]> {
    super::image_shape(item_shape, item_shape.iter().product()).ok_or_else(|| {
        anyhow::anyhow!(
            "{source}: {what} needs images (C x H x W with 1 or 3 channels), found items of shape {item_shape:?}"
        )
    })
}

/// `dims`-d features (n x dims, f32 as pytorch-fid's activations) of n
/// image rows of shape `shape` in [−1, 1], `batch` images per pass.
pub fn features(
    net: &FidInception,
    rows: &[f32],
    n: usize,
    shape: [usize; 3],
    dims: usize,
    batch: usize,
    device: &Device,
) -> anyhow::Result<Vec<f32>> {
    let [c, h, w] = shape;
    let d = c * h * w;
    let mut out = Vec::with_capacity(n * dims);
    for first in (0..n).step_by(batch.max(1)) {
        let rows_here = batch.max(1).min(n - first);
        let pixels: Vec<f32> = rows[first * d..(first + rows_here) * d]
            .iter()
            .map(|&x| quantise(x))
            .collect();
        let images = Tensor::<4>::from_data(TensorData::new(pixels, [rows_here, c, h, w]), device);
        let f = net.features_at(images, dims).into_data();
        out.extend(
            f.try_into_vec::<f32>()
                .map_err(|e| anyhow::anyhow!("{e:?}"))?,
        );
    }
    if let Some(i) = out.iter().position(|v| !v.is_finite()) {
        bail!(
            "Inception feature {} of image {} is not finite",
            i % dims,
            i / dims
        );
    }
    Ok(out)
}

/// A value in [−1, 1] as the 8-bit pixel EDM saves, (x·127.5 + 128)
/// clipped to [0, 255] and truncated, scaled to [0, 1] as pytorch-fid
/// reads a PNG.
pub fn quantise(x: f32) -> f32 {
    let b = (x * 127.5 + 128.0).clamp(0.0, 255.0).floor();
    if b.is_nan() { 0.0 } else { b / 255.0 }
}

#[cfg(test)]
mod tests {
    use super::quantise;

    #[test]
    fn quantisation_recovers_the_bytes_geotraj_read() {
        // A PNG or CIFAR-10 byte b is read as b / 127.5 − 1.
        for b in 0..=255u8 {
            let x = (f64::from(b) / 127.5 - 1.0) as f32;
            assert_eq!(quantise(x), f32::from(b) / 255.0, "byte {b}");
        }
        assert_eq!(quantise(-3.0), 0.0);
        assert_eq!(quantise(7.0), 1.0);
        assert_eq!(quantise(f32::NAN), 0.0);
    }
}
