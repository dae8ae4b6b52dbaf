//! A folder of PNG images as an unlabelled data set: the simplest way to
//! bring one's own images. Every colour type and bit depth is normalised to
//! 1 (gray) or 3 (RGB) planar channels scaled to [-1, 1] like IDX pixels, so
//! the result looks like any other image data set of the crate.

use crate::dataset::Dataset;
use crate::error::DataError;
use crate::idx::scale_u8;
use png::{BitDepth, ColorType, Transformations};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// One decoded image: [channels, height, width] and planar values.
struct Image {
    shape: [usize; 3],
    values: Vec<f32>,
}

/// A 16-bit sample on the same scale as `scale_u8`: 0 -> -1, 65535 -> 1
/// (so a byte b and its 16-bit widening 257 b give the same value).
fn scale_u16(v: u16) -> f32 {
    (f64::from(v) / 32767.5 - 1.0) as f32
}

fn corrupt(path: &Path, e: impl std::fmt::Display) -> DataError {
    DataError::io(
        path,
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not a readable PNG: {e}"),
        ),
    )
}

/// Decodes the first (or only) frame of a PNG. EXPAND turns palettes into
/// RGB(A), low bit depths into 8 bits and tRNS into an alpha channel; alpha
/// is then dropped.
fn decode(path: &Path) -> Result<Image, DataError> {
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    let mut decoder = png::Decoder::new(bytes.as_slice());
    decoder.set_transformations(Transformations::EXPAND);
    // Metadata never affects pixels; skipping it also tolerates the
    // malformed text chunks some writers emit.
    decoder.set_ignore_text_chunk(true);
    decoder.set_ignore_iccp_chunk(true);
    let mut reader = decoder.read_info().map_err(|e| corrupt(path, e))?;
    let mut buf = vec![0u8; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).map_err(|e| corrupt(path, e))?;
    let (stride, keep) = match info.color_type {
        ColorType::Grayscale => (1, 1),
        ColorType::GrayscaleAlpha => (2, 1),
        ColorType::Rgb => (3, 3),
        ColorType::Rgba => (4, 3),
        ColorType::Indexed => return Err(corrupt(path, "palette left unexpanded")),
    };
    let wide = match info.bit_depth {
        BitDepth::Eight => false,
        BitDepth::Sixteen => true,
        other => {
            return Err(corrupt(
                path,
                format!("bit depth {other:?} left unexpanded"),
            ));
        }
    };
    let (h, w) = (info.height as usize, info.width as usize);
    let plane = h * w;
    let mut values = vec![0.0f32; keep * plane];
    // Rows are packed (no padding at 8 or 16 bits): line_size = w * stride * bytes.
    for (y, line) in buf.chunks_exact(info.line_size).take(h).enumerate() {
        for x in 0..w {
            for c in 0..keep {
                let s = x * stride + c;
                values[c * plane + y * w + x] = if wide {
                    scale_u16(u16::from_be_bytes([line[2 * s], line[2 * s + 1]]))
                } else {
                    scale_u8(line[s])
                };
            }
        }
    }
    Ok(Image {
        shape: [keep, h, w],
        values,
    })
}

/// The `*.png` files (any case of the extension) directly in `dir`, sorted
/// by file name so the row order is reproducible.
fn png_files(dir: &Path) -> Result<Vec<PathBuf>, DataError> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| DataError::io(dir, e))? {
        let path = entry.map_err(|e| DataError::io(dir, e))?.path();
        let is_png = path
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("png"));
        if is_png && path.is_file() {
            files.push(path);
        }
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(files)
}

/// Loads every PNG directly in `dir` (sorted by name) as one row each, item
/// shape [channels, height, width] with 1 (gray) or 3 (RGB) channels,
/// alpha dropped, values in [-1, 1]. All images must share one shape.
/// Animated PNGs contribute their first frame. No labels.
pub fn load_png_folder(dir: &Path) -> Result<Dataset, DataError> {
    let files = png_files(dir)?;
    if files.is_empty() {
        return Err(DataError::Invalid(format!(
            "{}: no .png files in the folder",
            dir.display()
        )));
    }
    // Decode in parallel, but report the first failure in name order.
    let decoded: Vec<Result<Image, DataError>> = files.par_iter().map(|f| decode(f)).collect();
    let mut images = Vec::with_capacity(files.len());
    for r in decoded {
        images.push(r?);
    }
    let shape = images[0].shape;
    if let Some(i) = images.iter().position(|im| im.shape != shape) {
        return Err(DataError::Invalid(format!(
            "{}: image shape {:?} (channels, height, width) differs from {:?} of {}",
            files[i].display(),
            images[i].shape,
            shape,
            files[0].display()
        )));
    }
    let d = shape.iter().product();
    let mut rows = Vec::with_capacity(images.len() * d);
    for im in images {
        rows.extend(im.values);
    }
    Dataset::new(
        rows,
        files.len(),
        d,
        shape.to_vec(),
        None,
        format!("png folder {}", dir.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tempfile::{TempDir, tempdir};

    fn encode(w: u32, h: u32, color: ColorType, depth: BitDepth, data: &[u8]) -> Vec<u8> {
        encode_with(w, h, color, depth, data, |_| {})
    }

    fn encode_with(
        w: u32,
        h: u32,
        color: ColorType,
        depth: BitDepth,
        data: &[u8],
        setup: impl FnOnce(&mut png::Encoder<'_, &mut Vec<u8>>),
    ) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, w, h);
            enc.set_color(color);
            enc.set_depth(depth);
            setup(&mut enc);
            let mut writer = enc.write_header().unwrap();
            writer.write_image_data(data).unwrap();
        }
        out
    }

    fn folder(files: &[(&str, Vec<u8>)]) -> TempDir {
        let dir = tempdir().unwrap();
        for (name, bytes) in files {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        dir
    }

    #[test]
    fn gray_8_bit_sorted_by_name() {
        // 3 wide, 2 high.
        let a = encode(
            3,
            2,
            ColorType::Grayscale,
            BitDepth::Eight,
            &[0, 255, 51, 1, 2, 3],
        );
        let b = encode(3, 2, ColorType::Grayscale, BitDepth::Eight, &[9; 6]);
        let dir = folder(&[
            ("b.PNG", b),
            ("a.png", a),
            ("notes.txt", b"not an image".to_vec()),
        ]);
        let ds = load_png_folder(dir.path()).unwrap();
        assert_eq!((ds.n, ds.d), (2, 6));
        assert_eq!(ds.item_shape, vec![1, 2, 3]);
        assert!(ds.labels.is_none());
        let expect: Vec<f32> = [0u8, 255, 51, 1, 2, 3].map(scale_u8).to_vec();
        assert_eq!(ds.row(0), expect.as_slice());
        assert_eq!(ds.row(0)[0], -1.0);
        assert_eq!(ds.row(0)[1], 1.0);
        assert_eq!(ds.row(1), &[scale_u8(9); 6]);
    }

    #[test]
    fn rgb_is_planar() {
        // 2 wide, 1 high: pixel 0 = (10, 20, 30), pixel 1 = (40, 50, 60).
        let img = encode(
            2,
            1,
            ColorType::Rgb,
            BitDepth::Eight,
            &[10, 20, 30, 40, 50, 60],
        );
        let dir = folder(&[("x.png", img)]);
        let ds = load_png_folder(dir.path()).unwrap();
        assert_eq!(ds.item_shape, vec![3, 1, 2]);
        let expect: Vec<f32> = [10u8, 40, 20, 50, 30, 60].map(scale_u8).to_vec();
        assert_eq!(ds.row(0), expect.as_slice());
    }

    #[test]
    fn rgba_drops_alpha() {
        let img = encode(
            1,
            2,
            ColorType::Rgba,
            BitDepth::Eight,
            &[1, 2, 3, 0, 4, 5, 6, 255],
        );
        let dir = folder(&[("x.png", img)]);
        let ds = load_png_folder(dir.path()).unwrap();
        assert_eq!(ds.item_shape, vec![3, 2, 1]);
        let expect: Vec<f32> = [1u8, 4, 2, 5, 3, 6].map(scale_u8).to_vec();
        assert_eq!(ds.row(0), expect.as_slice());
    }

    #[test]
    fn gray_16_bit_on_the_8_bit_scale() {
        let samples = [0u16, 65535, 257 * 51, 32768];
        let data: Vec<u8> = samples.iter().flat_map(|v| v.to_be_bytes()).collect();
        let img = encode(2, 2, ColorType::Grayscale, BitDepth::Sixteen, &data);
        let dir = folder(&[("x.png", img)]);
        let ds = load_png_folder(dir.path()).unwrap();
        assert_eq!(ds.item_shape, vec![1, 2, 2]);
        assert_eq!(ds.row(0)[0], -1.0);
        assert_eq!(ds.row(0)[1], 1.0);
        assert!((ds.row(0)[2] - scale_u8(51)).abs() < 1e-6);
        assert!(ds.row(0)[3].abs() < 1e-4);
    }

    #[test]
    fn low_bit_depth_and_palette_expand() {
        // 1-bit gray, 8 pixels in one byte: 1 -> 255.
        let g1 = encode(8, 1, ColorType::Grayscale, BitDepth::One, &[0b1010_0000]);
        // 2-bit palette with tRNS: expands to RGBA, alpha dropped.
        let pal = encode_with(
            2,
            1,
            ColorType::Indexed,
            BitDepth::Two,
            &[0b0110_0000],
            |e| {
                e.set_palette(vec![0, 0, 0, 255, 0, 0, 0, 255, 0]);
                e.set_trns(vec![255, 0]);
            },
        );
        let dir = folder(&[("g1.png", g1)]);
        let ds = load_png_folder(dir.path()).unwrap();
        assert_eq!(ds.item_shape, vec![1, 1, 8]);
        assert_eq!(ds.row(0), &[1.0, -1.0, 1.0, -1.0, -1.0, -1.0, -1.0, -1.0]);
        let dir = folder(&[("p.png", pal)]);
        let ds = load_png_folder(dir.path()).unwrap();
        assert_eq!(ds.item_shape, vec![3, 1, 2]);
        // Pixel 0 = index 1 (red), pixel 1 = index 2 (green).
        assert_eq!(ds.row(0), &[1.0, -1.0, -1.0, 1.0, -1.0, -1.0]);
    }

    #[test]
    fn mixed_shapes_name_the_first_differing_file() {
        let gray = encode(2, 2, ColorType::Grayscale, BitDepth::Eight, &[0; 4]);
        let rgb = encode(2, 2, ColorType::Rgb, BitDepth::Eight, &[0; 12]);
        let dir = folder(&[
            ("1.png", gray.clone()),
            ("2.png", gray),
            ("3.png", rgb.clone()),
            ("4.png", rgb),
        ]);
        let e = load_png_folder(dir.path()).unwrap_err().to_string();
        assert!(e.contains("3.png") && !e.contains("4.png"), "{e}");
        assert!(e.contains("[3, 2, 2]") && e.contains("[1, 2, 2]"), "{e}");
    }

    #[test]
    fn corrupt_and_empty_folders() {
        let mut bad = encode(2, 2, ColorType::Grayscale, BitDepth::Eight, &[0; 4]);
        bad[1] = b'Q';
        let good = encode(2, 2, ColorType::Grayscale, BitDepth::Eight, &[0; 4]);
        let dir = folder(&[("a.png", good), ("b.png", bad)]);
        let e = load_png_folder(dir.path()).unwrap_err();
        assert!(matches!(e, DataError::Io { .. }), "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains("b.png") && msg.contains("not a readable PNG"),
            "{msg}"
        );

        let dir = folder(&[("readme.txt", vec![1, 2, 3])]);
        let e = load_png_folder(dir.path()).unwrap_err().to_string();
        assert!(e.contains(&dir.path().display().to_string()), "{e}");
        assert!(e.contains("no .png files"), "{e}");

        let tmp = tempdir().unwrap();
        let e = load_png_folder(&tmp.path().join("no-such-dir")).unwrap_err();
        assert!(matches!(e, DataError::Io { .. }), "{e}");
    }
}
