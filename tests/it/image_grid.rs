//! Image figures of a trajectory run on image data: the PNGs exist, decode
//! (through the data crate's PNG reader) to the laid-out pixel size, and the
//! samples grid shows the written samples on the data's value scale.

use crate::common::run_to;
use geotraj::data::{Dataset, load_png_folder, read_npy_f32};
use geotraj::workbench::context::load::load;
use std::path::Path;
use tempfile::tempdir;

const CONFIG: &str = r#"
name = "grid"
seed = 3
trajectories = 8
batch_size = 8
[[data]]
kind = "shapes"
n = 200
[schedule]
kind = "edm"
[[sampler]]
solver = "euler"
steps = 6
[[sampler]]
solver = "heun"
steps = 4
"#;

/// 16x16 images are enlarged 4x; cells are 64 px with a 2 px gap.
const CELL: usize = 64 + 2;

/// Decodes one PNG as a one-row data set: shape [3, height, width] in [-1, 1].
fn decode(png: &Path, scratch: &Path) -> Dataset {
    assert!(png.is_file(), "{} missing", png.display());
    let dir = scratch.join(png.file_stem().unwrap());
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(png, dir.join("a.png")).unwrap();
    load_png_folder(&dir).unwrap()
}

#[test]
fn image_runs_write_sample_grids_and_denoising_strips() {
    let dir = tempdir().unwrap();
    let out = run_to(dir.path(), "a", CONFIG);
    let figures = out.join("figures");
    let scratch = dir.path().join("decoded");

    let cfg = crate::common::load_config(&dir.path().join("a.toml")).unwrap();
    let data = load(&cfg.data[0], cfg.seed).unwrap();
    let (lo, hi) = data
        .rows
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });

    for (sampler, columns) in [("euler-6", 6), ("heun-4", 4)] {
        // 8 samples in one row of 8.
        let png = decode(
            &figures.join(format!("samples-shapes-{sampler}.png")),
            &scratch,
        );
        assert_eq!(png.item_shape, vec![3, 2 + CELL, 2 + 8 * CELL], "{sampler}");
        let (w, plane) = (2 + 8 * CELL, (2 + CELL) * (2 + 8 * CELL));
        let at = |c: usize, x: usize, y: usize| png.rows[c * plane + y * w + x];
        let (_, samples) =
            read_npy_f32(&out.join(format!("samples-shapes-{sampler}.npy"))).unwrap();
        for (i, sample) in samples.chunks(256).enumerate() {
            for (p, &v) in sample.iter().enumerate() {
                // Pixel p of sample i, at the centre of its 4x4 block.
                let (x, y) = (2 + i * CELL + (p % 16) * 4 + 1, 2 + (p / 16) * 4 + 2);
                let want = ((v - lo) / (hi - lo) * 255.0).round().clamp(0.0, 255.0);
                let got = (at(0, x, y) + 1.0) * 127.5;
                assert!(
                    (got - want).abs() < 0.51,
                    "{sampler} sample {i} pixel {p}: {got} vs {want}"
                );
                // Grey: the three channels agree.
                assert_eq!(at(1, x, y), at(0, x, y));
                assert_eq!(at(2, x, y), at(0, x, y));
            }
        }

        // 4 trajectories x (x_n, D(x_n)) rows under a sigma label row; one
        // column per step with an evaluation at x_n (all of them, since the
        // last step of both solvers is an Euler step to sigma = 0).
        let strip = decode(
            &figures.join(format!("denoised-shapes-{sampler}.png")),
            &scratch,
        );
        let [c, h, w] = strip.item_shape[..] else {
            panic!("{:?}", strip.item_shape)
        };
        assert_eq!(c, 3);
        let top = 14 + 4;
        assert_eq!(h, top + 2 + 8 * CELL, "{sampler}");
        let left = w - (2 + columns * CELL);
        assert!(
            (20..150).contains(&left),
            "{sampler}: label margin {left} px"
        );
    }
    // No SVG twins: these are pixel figures.
    assert!(!figures.join("samples-shapes-euler-6.svg").exists());
    // The report embeds them like every PNG.
    let readme = std::fs::read_to_string(figures.join("README.md")).unwrap();
    assert!(readme.contains("(denoised-shapes-heun-4.png)"), "{readme}");
}
