//! Samples as PNG files, the inverse of the loaders' pixel scaling: the
//! form image-quality tools read (pytorch-fid and clean-fid take a folder of
//! images). A value v in [-1, 1] becomes the byte round((v + 1) * 127.5),
//! clamped: EDM's `generate.py` conversion, and the inverse of `scale_u8`,
//! so an image loaded by `load_png_folder` and written back is unchanged.

use crate::error::DataError;
use png::{BitDepth, ColorType, Encoder};
use rayon::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The byte of a value on the loaders' [-1, 1] scale (NaN is 0).
pub fn unscale_u8(v: f32) -> u8 {
    ((f64::from(v) + 1.0) * 127.5).round().clamp(0.0, 255.0) as u8
}

/// Encodes one planar image (channels 1 or 3, then height, width) as PNG.
pub fn encode_png(w: impl Write, shape: [usize; 3], values: &[f32]) -> Result<(), std::io::Error> {
    let [c, h, wd] = shape;
    let plane = h * wd;
    assert!(
        matches!(c, 1 | 3) && values.len() == c * plane,
        "checked by the caller"
    );
    let mut e = Encoder::new(w, wd as u32, h as u32);
    e.set_color(if c == 1 {
        ColorType::Grayscale
    } else {
        ColorType::Rgb
    });
    e.set_depth(BitDepth::Eight);
    // Interleaved bytes: pixel p of channel k is values[k * plane + p].
    let bytes: Vec<u8> = (0..plane)
        .flat_map(|p| (0..c).map(move |k| unscale_u8(values[k * plane + p])))
        .collect();
    let mut writer = e.write_header().map_err(std::io::Error::other)?;
    writer
        .write_image_data(&bytes)
        .map_err(std::io::Error::other)?;
    writer.finish().map_err(std::io::Error::other)
}

/// Writes rows (n x C*H*W) into `dir` as 000000.png, 000001.png, ...
/// (six digits or more, so name order is row order). `dir` must not exist
/// yet; returns the folder.
pub fn write_png_folder(dir: &Path, shape: [usize; 3], rows: &[f32]) -> Result<PathBuf, DataError> {
    let d: usize = shape.iter().product();
    if !matches!(shape[0], 1 | 3) || d == 0 || !rows.len().is_multiple_of(d) {
        return Err(DataError::Invalid(format!(
            "{}: cannot write images of shape {shape:?} from {} values",
            dir.display(),
            rows.len()
        )));
    }
    std::fs::create_dir(dir).map_err(|e| DataError::io(dir, e))?;
    let n = rows.len() / d;
    let width = n.saturating_sub(1).to_string().len().max(6);
    rows.par_chunks(d).enumerate().try_for_each(|(i, row)| {
        let path = dir.join(format!("{i:0width$}.png"));
        let file = std::fs::File::create(&path).map_err(|e| DataError::io(&path, e))?;
        let mut w = std::io::BufWriter::new(file);
        encode_png(&mut w, shape, row)
            .and_then(|()| w.flush())
            .map_err(|e| DataError::io(&path, e))
    })?;
    Ok(dir.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idx::scale_u8;
    use crate::png_folder::load_png_folder;

    #[test]
    fn bytes_round_trip_through_the_loader_scale() {
        for b in 0..=255u8 {
            assert_eq!(unscale_u8(scale_u8(b)), b);
        }
        assert_eq!(unscale_u8(-3.0), 0);
        assert_eq!(unscale_u8(7.0), 255);
        assert_eq!(unscale_u8(f32::NAN), 0);
    }

    #[test]
    fn a_written_folder_loads_back_as_the_same_rows() {
        let tmp = tempfile::tempdir().unwrap();
        for (shape, n) in [([1, 3, 5], 4), ([3, 4, 2], 12)] {
            let d: usize = shape.iter().product();
            let rows: Vec<f32> = (0..n * d)
                .map(|i| scale_u8(((i * 37 + 11) % 256) as u8))
                .collect();
            let dir = tmp.path().join(format!("c{}", shape[0]));
            write_png_folder(&dir, shape, &rows).unwrap();
            let loaded = load_png_folder(&dir).unwrap();
            assert_eq!(loaded.item_shape, shape.to_vec());
            assert_eq!((loaded.n, loaded.rows.clone()), (n, rows));
            // A second write into the same folder is refused, not merged.
            assert!(write_png_folder(&dir, shape, &loaded.rows).is_err());
        }
        let e = write_png_folder(&tmp.path().join("bad"), [2, 2, 2], &[0.0; 8]);
        assert!(e.unwrap_err().to_string().contains("[2, 2, 2]"));
    }
}
