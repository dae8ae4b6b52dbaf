//! A folder of PNG images as an unlabelled data set: the simplest way to
//! bring one's own images. Every colour type and bit depth is normalised to
//! 1 (gray) or 3 (RGB) planar channels scaled to [-1, 1] like IDX pixels, so
//! the result looks like any other image data set of the crate.
//!
//! Every entry named `*.png` must be a regular file (or a symlink to one):
//! a directory, FIFO, device or broken link by that name is refused, not
//! skipped, since skipping would silently drop a row. Entries with other
//! names are ignored whatever they are.
//!
//! The headers are read first, each checked before any pixel buffer exists:
//! the pixel data an IHDR declares must fit in the file (deflate expands at
//! most 1032-fold) and its f32 values within the payload cap, and so must
//! the folder's total. Then each image is decoded straight into its row.

use crate::dataset::Dataset;
use crate::error::DataError;
use crate::idx::scale_u8;
use crate::limits::{DEFLATE_MAX_RATIO, max_payload_bytes, over_cap};
use crate::regular::{open_regular, require_regular};
use png::{BitDepth, ColorType, Limits, Transformations};
use rayon::prelude::*;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// The png crate's own allocations (chunk buffers, one row) per image: its
/// default, or the payload cap when lower.
const DECODER_LIMIT: u64 = 64 << 20;

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

/// The decoded layout of one image: [channels kept, height, width], and
/// per pixel the samples in the output (`stride`) and whether they are 16-bit.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Layout {
    shape: [usize; 3],
    stride: usize,
    wide: bool,
}

/// Opens a PNG and reads its chunks up to the image data (EXPAND turns
/// palettes into RGB(A), low bit depths into 8 bits and tRNS into an alpha
/// channel; alpha is later dropped). The declared size is checked against
/// the file and the cap here, before any pixel buffer is allocated.
fn open_png(path: &Path) -> Result<(png::Reader<BufReader<File>>, Layout), DataError> {
    let (file, len) = open_regular(path)?;
    let limit = max_payload_bytes().min(DECODER_LIMIT);
    let limits = Limits {
        bytes: usize::try_from(limit).unwrap_or(usize::MAX),
    };
    let mut decoder = png::Decoder::new_with_limits(BufReader::new(file), limits);
    decoder.set_transformations(Transformations::EXPAND);
    // Metadata never affects pixels; skipping it also tolerates the
    // malformed text chunks some writers emit.
    decoder.set_ignore_text_chunk(true);
    decoder.set_ignore_iccp_chunk(true);
    let reader = decoder.read_info().map_err(|e| match e {
        png::DecodingError::LimitsExceeded => corrupt(
            path,
            format!(
                "its declared size needs a decoder buffer over {}",
                crate::limits::human_bytes(limit)
            ),
        ),
        e => corrupt(path, e),
    })?;
    let info = reader.info();
    let (w, h) = (u64::from(info.width), u64::from(info.height));
    // Width, height and IHDR start 16 bytes into the file.
    let bad = |expected: String| DataError::format(path, 16, expected);
    let bits = w * (info.color_type.samples() * info.bit_depth as usize) as u64;
    let pixel_bytes = bits.div_ceil(8).checked_mul(h);
    let room = len.saturating_mul(DEFLATE_MAX_RATIO);
    if pixel_bytes.is_none_or(|b| b > room) {
        let size = pixel_bytes.map_or_else(|| "over 16 EiB".into(), crate::limits::human_bytes);
        return Err(bad(format!(
            "an image whose pixel data fits in a {len}-byte file (deflate expands at most \
             {DEFLATE_MAX_RATIO}-fold), found {w} x {h} pixels of {:?} {:?} = {size}",
            info.color_type, info.bit_depth
        )));
    }
    let (color, depth) = reader.output_color_type();
    let (stride, keep) = match color {
        ColorType::Grayscale => (1, 1),
        ColorType::GrayscaleAlpha => (2, 1),
        ColorType::Rgb => (3, 3),
        ColorType::Rgba => (4, 3),
        ColorType::Indexed => return Err(corrupt(path, "palette left unexpanded")),
    };
    let wide = match depth {
        BitDepth::Eight => false,
        BitDepth::Sixteen => true,
        other => {
            return Err(corrupt(
                path,
                format!("bit depth {other:?} left unexpanded"),
            ));
        }
    };
    // w, h < 2^32, so w * h fits; times 3 channels may not.
    let values = (w * h).saturating_mul(keep as u64);
    if let Some(why) = over_cap(values, &format!("{w} x {h} pixels x {keep} channels")) {
        return Err(bad(why));
    }
    let layout = Layout {
        shape: [keep, h as usize, w as usize],
        stride,
        wide,
    };
    Ok((reader, layout))
}

/// Decodes the first (or only) frame of a PNG into `out` (planar values),
/// which was sized for `expected` from an earlier look at its header.
fn decode_into(path: &Path, expected: Layout, out: &mut [f32]) -> Result<(), DataError> {
    let (mut reader, layout) = open_png(path)?;
    if layout != expected {
        return Err(DataError::Invalid(format!(
            "{}: the image changed while the folder was being read",
            path.display()
        )));
    }
    let mut buf = vec![0u8; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).map_err(|e| corrupt(path, e))?;
    let Layout {
        shape: [keep, h, w],
        stride,
        wide,
    } = layout;
    let plane = h * w;
    // Rows are packed (no padding at 8 or 16 bits): line_size = w * stride * bytes.
    for (y, line) in buf.chunks_exact(info.line_size).take(h).enumerate() {
        for x in 0..w {
            for c in 0..keep {
                let s = x * stride + c;
                out[c * plane + y * w + x] = if wide {
                    scale_u16(u16::from_be_bytes([line[2 * s], line[2 * s + 1]]))
                } else {
                    scale_u8(line[s])
                };
            }
        }
    }
    Ok(())
}

/// The `*.png` entries (any case of the extension) directly in `dir`, each
/// a regular file, sorted by file name so the row order is reproducible.
fn png_files(dir: &Path) -> Result<Vec<PathBuf>, DataError> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| DataError::io(dir, e))? {
        let path = entry.map_err(|e| DataError::io(dir, e))?.path();
        let is_png = path
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("png"));
        if is_png {
            require_regular(&path)?;
            files.push(path);
        }
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(files)
}

/// The first error in `results`, which are in name order.
fn first_error<T>(results: Vec<Result<T, DataError>>) -> Result<Vec<T>, DataError> {
    results.into_iter().collect()
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
    // Headers in parallel, the first failure reported in name order.
    let layouts = first_error(
        files
            .par_iter()
            .map(|f| open_png(f).map(|(_, layout)| layout))
            .collect(),
    )?;
    let layout = layouts[0];
    let shape = layout.shape;
    if let Some(i) = layouts.iter().position(|l| l.shape != shape) {
        return Err(DataError::Invalid(format!(
            "{}: image shape {:?} (channels, height, width) differs from {:?} of {}",
            files[i].display(),
            layouts[i].shape,
            shape,
            files[0].display()
        )));
    }
    // Each image is within the cap, so d fits; the folder must fit too.
    let d: usize = shape.iter().product();
    let n = files.len();
    let total = (d as u64).saturating_mul(n as u64);
    if let Some(why) = over_cap(total, &format!("{n} images of shape {shape:?}")) {
        return Err(DataError::Invalid(format!(
            "{}: expected {why}",
            dir.display()
        )));
    }
    let mut rows = vec![0.0f32; n * d];
    first_error(
        rows.par_chunks_mut(d)
            .zip(files.par_iter().zip(&layouts))
            .map(|(out, (f, &l))| decode_into(f, l, out))
            .collect(),
    )?;
    Dataset::new(
        rows,
        n,
        d,
        shape.to_vec(),
        None,
        format!("png folder {}", dir.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::with_test_cap;
    use crate::testutil::{fifo, within_seconds};
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

    /// Rewrites the IHDR's width and height, with a valid chunk CRC.
    fn patch_ihdr(png: &mut [u8], w: u32, h: u32) {
        png[16..20].copy_from_slice(&w.to_be_bytes());
        png[20..24].copy_from_slice(&h.to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(&png[12..29]);
        png[29..33].copy_from_slice(&crc.sum().to_be_bytes());
    }

    #[test]
    fn huge_declared_dimensions_refused_before_allocating() {
        let mut img = encode(2, 2, ColorType::Rgba, BitDepth::Sixteen, &[7; 32]);
        patch_ihdr(&mut img, 100_000, 100_000);
        assert!(img.len() < 200, "{}", img.len());
        let dir = folder(&[("huge.png", img)]);
        let e = load_png_folder(dir.path()).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("huge.png") && msg.contains("at byte 16"),
            "{msg}"
        );
        assert!(
            msg.contains("100000 x 100000 pixels") && msg.contains("74.5 GiB"),
            "{msg}"
        );
        assert!(msg.contains("1032-fold"), "{msg}");

        // The largest header the png crate accepts: refused the same way.
        let mut img = encode(1, 1, ColorType::Grayscale, BitDepth::Eight, &[0]);
        patch_ihdr(&mut img, 1 << 31, 1 << 31);
        let dir = folder(&[("max.png", img)]);
        let e = load_png_folder(dir.path()).unwrap_err().to_string();
        assert!(e.contains("max.png"), "{e}");
    }

    #[test]
    fn images_over_the_cap_refused_naming_file_or_folder() {
        // 64 x 64 gray zeros compress well: 16 KiB of f32 values.
        let img = encode(64, 64, ColorType::Grayscale, BitDepth::Eight, &[0; 4096]);
        let dir = folder(&[("a.png", img.clone()), ("b.png", img)]);
        let a = dir.path().join("a.png");
        let e = with_test_cap(8 << 10, || open_png(&a).map(|_| ())).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("a.png") && msg.contains("cap of 8.0 KiB"),
            "{msg}"
        );
        assert!(msg.contains("64 x 64 pixels x 1 channels"), "{msg}");
        // Each image fits 24 KiB; the two together do not.
        let e = with_test_cap(24 << 10, || load_png_folder(dir.path())).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with(&dir.path().display().to_string()), "{msg}");
        assert!(msg.contains("2 images of shape [1, 64, 64]"), "{msg}");
        assert_eq!(load_png_folder(dir.path()).unwrap().n, 2);
    }

    #[test]
    fn non_regular_png_entries_refused() {
        let good = encode(1, 1, ColorType::Grayscale, BitDepth::Eight, &[0]);
        let dir = folder(&[("a.png", good.clone())]);
        std::fs::create_dir(dir.path().join("sub.png")).unwrap();
        let e = load_png_folder(dir.path()).unwrap_err().to_string();
        assert!(e.contains("sub.png") && e.contains("a directory"), "{e}");

        let dir = folder(&[("a.png", good)]);
        // A directory with another name is ignored.
        std::fs::create_dir(dir.path().join("thumbs")).unwrap();
        assert_eq!(load_png_folder(dir.path()).unwrap().n, 1);
        if let Some(_p) = fifo(dir.path(), "b.png") {
            let d = dir.path().to_path_buf();
            let e = within_seconds("load a folder with a FIFO", move || load_png_folder(&d))
                .unwrap_err()
                .to_string();
            assert!(e.contains("b.png") && e.contains("FIFO"), "{e}");
        }
    }
}
