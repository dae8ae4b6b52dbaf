//! Jump-early quality: FD of x_n and D(x_n) per step, with the NFE each
//! costs; the last x_n's FD recomputed from the written samples and the
//! held-out draw; the same table for any batch size.

use crate::common::{numeric, run_to};
use geotraj::data::read_npy_f32;
use geotraj::metrics::{FeatureStats, Pca, frechet_distance};
use geotraj::records::read_parquet;
use geotraj::workbench::context::load::{held_out, load};
use tempfile::tempdir;

fn config(batch: usize) -> String {
    format!(
        r#"
name = "jq"
seed = 4
trajectories = 12
batch_size = {batch}
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
[measures]
jump_quality = true
[quality]
pca_dim = 5
"#
    )
}

#[test]
fn jump_quality_counts_nfe_and_matches_an_independent_fd() {
    let dir = tempdir().unwrap();
    let out = run_to(dir.path(), "a", &config(5));
    let t = read_parquet(&out.join("jump-quality.parquet")).unwrap();
    // Euler 6 steps: 7 states; Heun 4 steps: 5 states.
    assert_eq!(t.len(), 7 + 5);
    let (nfe_x, nfe_d) = (numeric(&t, "nfe_state"), numeric(&t, "nfe_denoised"));
    // Euler: x_n after n evaluations, D(x_n) one more; Heun: two per step
    // but one on the last step to 0; no evaluation at the final state.
    assert_eq!(nfe_x[..7], [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(nfe_d[..7], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, -1.0]);
    assert_eq!(nfe_x[7..], [0.0, 2.0, 4.0, 6.0, 7.0]);
    assert_eq!(nfe_d[7..], [1.0, 3.0, 5.0, 7.0, -1.0]);
    let (fd_x, fd_d) = (numeric(&t, "fd_state"), numeric(&t, "fd_denoised"));
    assert!(fd_d[6].is_nan() && fd_d[11].is_nan());
    assert!(fd_x.iter().all(|v| v.is_finite()));
    // Pure noise is far from the data; D(x_0) is much closer.
    assert!(fd_d[0] < fd_x[0] / 10.0, "{} vs {}", fd_d[0], fd_x[0]);

    // The final x_N's FD, recomputed from the written samples.
    let cfg = crate::common::load_config(&dir.path().join("a.toml")).unwrap();
    let train = load(&cfg.data[0], cfg.seed).unwrap();
    let held = held_out(&cfg.data[0], cfg.seed).unwrap();
    let pca = Pca::fit(&train.rows, train.n, train.d, 5);
    let h = held.n.min(2000);
    let held_stats = FeatureStats::of(&pca.project(&held.rows[..h * held.d], h), h, 5);
    let (_, samples) = read_npy_f32(&out.join("samples-shapes-euler-6.npy")).unwrap();
    let n = samples.len() / train.d;
    let own = FeatureStats::of(&pca.project(&samples, n), n, 5);
    let want = frechet_distance(&own, &held_stats);
    assert!(
        (fd_x[6] - want).abs() <= 1e-9 * want.abs(),
        "{} vs {want}",
        fd_x[6]
    );
    assert!(out.join("figures/jump-quality-shapes.png").exists());

    // Batches of 5 or 12 rows: the same table.
    let other = run_to(dir.path(), "b", &config(12));
    let u = read_parquet(&other.join("jump-quality.parquet")).unwrap();
    for name in ["fd_state", "fd_denoised"] {
        let (a, b) = (numeric(&t, name), numeric(&u, name));
        for (x, y) in a.iter().zip(&b) {
            assert!(
                x == y || (x.is_nan() && y.is_nan()),
                "{name}: {a:?} vs {b:?}"
            );
        }
    }
}
