//! pytorch-fid's statistics files: an .npz with `mu` (k) and `sigma`
//! (k x k), float64, as `pytorch_fid --save-stats` and the published
//! CIFAR-10 statistics hold them. geotraj reads them as reference
//! statistics and writes its own for pytorch-fid.

use std::path::Path;

use geotraj_data::read_npz_f64;
use geotraj_records::{NpzArray, write_npz_f64};

use crate::quality::FeatureStats;

/// The largest feature dimension accepted (Inception's pool3 is 2048):
/// the covariance is k² values and the Fréchet distance k³ work.
const MAX_DIM: usize = 8192;

/// Reads `mu` and `sigma`; one error naming the file and the array for a
/// missing array, a wrong shape, a value that is not finite, or a
/// covariance that is not symmetric.
pub fn read_fid_stats(path: &Path) -> Result<FeatureStats, String> {
    let at = |what: String| format!("{}: {what}", path.display());
    let (mu_shape, mean) = read_npz_f64(path, Some("mu")).map_err(|e| e.to_string())?;
    let [k] = mu_shape[..] else {
        return Err(at(format!("mu: a vector, found shape {mu_shape:?}")));
    };
    if k == 0 || k > MAX_DIM {
        return Err(at(format!("mu: 1 to {MAX_DIM} features, found {k}")));
    }
    let (sigma_shape, cov) = read_npz_f64(path, Some("sigma")).map_err(|e| e.to_string())?;
    if sigma_shape != [k, k] {
        return Err(at(format!(
            "sigma: shape [{k}, {k}] to match mu, found {sigma_shape:?}"
        )));
    }
    for (name, values) in [("mu", &mean), ("sigma", &cov)] {
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(at(format!("{name}: value {i} is not finite")));
        }
    }
    for i in 0..k {
        for j in i + 1..k {
            let (a, b) = (cov[i * k + j], cov[j * k + i]);
            if (a - b).abs() > 1e-9 * (a.abs() + b.abs()).max(1e-300) {
                return Err(at(format!(
                    "sigma: not symmetric at ({i}, {j}): {a} and {b}"
                )));
            }
        }
    }
    Ok(FeatureStats { mean, cov, k })
}

/// Writes `stats` as pytorch-fid's `mu` and `sigma` (float64), atomically.
pub fn write_fid_stats(path: &Path, stats: &FeatureStats) -> Result<(), String> {
    write_npz_f64(
        path,
        &[
            NpzArray {
                name: "mu",
                shape: vec![stats.k],
                values: &stats.mean,
            },
            NpzArray {
                name: "sigma",
                shape: vec![stats.k, stats.k],
                values: &stats.cov,
            },
        ],
    )
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frechet_distance;
    use crate::linalg::covariance;
    use geotraj_data::read_npz_f32;
    use std::path::PathBuf;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/fid")
            .join(name)
    }

    fn stats_of(key: &str) -> FeatureStats {
        let (shape, rows) = read_npz_f32(&fixture("frechet.npz"), Some(key)).unwrap();
        let (mean, cov) = covariance(&rows, shape[0], shape[1]);
        FeatureStats {
            mean,
            cov,
            k: shape[1],
        }
    }

    #[test]
    fn frechet_distance_matches_pytorch_fid_with_scipy() {
        // Full-rank covariances (400 and 300 rows of 32 features), then
        // low-rank ones (20 and 25 rows), where scipy's sqrtm is least sure.
        for (a, b, key, tol) in [("a", "b", "fd_ab", 1e-7), ("c", "e", "fd_ce", 1e-6)] {
            let want = geotraj_data::read_npz_f64(&fixture("frechet.npz"), Some(key))
                .unwrap()
                .1[0];
            let got = frechet_distance(&stats_of(a), &stats_of(b));
            let rel = (got - want).abs() / want;
            eprintln!("FD({a}, {b}): geotraj {got}, pytorch-fid {want}, relative gap {rel:e}");
            assert!(rel < tol, "{got} vs {want}");
        }
    }

    #[test]
    fn statistics_files_round_trip_and_match_pytorch_fids() {
        let theirs = read_fid_stats(&fixture("stats-a.npz")).unwrap();
        let ours = stats_of("a");
        // pytorch-fid's mu is np.mean of f32 activations (an f32 sum);
        // sigma is np.cov in f64.
        let gap = |x: &[f64], y: &[f64]| {
            x.iter()
                .zip(y)
                .map(|(p, q)| (p - q).abs())
                .fold(0.0, f64::max)
        };
        assert!(gap(&theirs.mean, &ours.mean) < 1e-6);
        assert!(gap(&theirs.cov, &ours.cov) < 1e-12);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ours.npz");
        write_fid_stats(&path, &ours).unwrap();
        assert_eq!(read_fid_stats(&path).unwrap(), ours);
    }

    #[test]
    fn malformed_statistics_are_refused_by_array() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, mu: &[f64], sigma: &[f64], k: usize| {
            let path = dir.path().join(name);
            write_npz_f64(
                &path,
                &[
                    NpzArray {
                        name: "mu",
                        shape: vec![mu.len()],
                        values: mu,
                    },
                    NpzArray {
                        name: "sigma",
                        shape: vec![k, sigma.len() / k.max(1)],
                        values: sigma,
                    },
                ],
            )
            .unwrap();
            read_fid_stats(&path).unwrap_err()
        };
        let e = write("shape.npz", &[0.0, 1.0], &[1.0; 3], 1);
        assert!(e.contains("sigma: shape [2, 2]"), "{e}");
        let e = write("nan.npz", &[0.0, f64::NAN], &[1.0; 4], 2);
        assert!(e.contains("mu: value 1 is not finite"), "{e}");
        let e = write("asym.npz", &[0.0, 1.0], &[1.0, 0.5, 0.4, 1.0], 2);
        assert!(e.contains("not symmetric at (0, 1)"), "{e}");
        let missing = dir.path().join("missing.npz");
        write_npz_f64(
            &missing,
            &[NpzArray {
                name: "mu",
                shape: vec![1],
                values: &[0.0],
            }],
        )
        .unwrap();
        let e = read_fid_stats(&missing).unwrap_err();
        assert!(e.contains("sigma"), "{e}");
    }
}
