//! Per-step summaries over trajectories: the median and a quantile band.

/// Quantiles of one measure at every step, over trajectories.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    pub mid: Vec<f64>,
    pub lo: Vec<f64>,
    pub hi: Vec<f64>,
}

/// `values` is trajectories x points, row-major. NaN entries are ignored;
/// a step with no finite value gives NaN.
pub fn band(values: &[f64], points: usize, q_lo: f64, q_hi: f64) -> Band {
    let rows = values.len().checked_div(points).unwrap_or(0);
    let mut b = Band {
        mid: Vec::with_capacity(points),
        lo: Vec::with_capacity(points),
        hi: Vec::with_capacity(points),
    };
    for p in 0..points {
        let mut col: Vec<f64> = (0..rows)
            .map(|r| values[r * points + p])
            .filter(|v| v.is_finite())
            .collect();
        col.sort_by(f64::total_cmp);
        b.mid.push(quantile(&col, 0.5));
        b.lo.push(quantile(&col, q_lo));
        b.hi.push(quantile(&col, q_hi));
    }
    b
}

/// Linear-interpolation quantile of sorted values (NumPy's default).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let pos = q * (n - 1) as f64;
            let i = pos.floor() as usize;
            let f = pos - i as f64;
            if i + 1 < n {
                sorted[i] * (1.0 - f) + sorted[i + 1] * f
            } else {
                sorted[n - 1]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_numpy() {
        // numpy.quantile([1, 2, 3, 4, 10], [0.1, 0.5, 0.9]) = [1.4, 3.0, 7.6]
        let v = [1.0, 10.0, 2.0, 4.0, 3.0];
        let b = band(&v, 1, 0.1, 0.9);
        assert!((b.lo[0] - 1.4).abs() < 1e-12);
        assert_eq!(b.mid[0], 3.0);
        assert!((b.hi[0] - 7.6).abs() < 1e-12);
    }

    #[test]
    fn nan_is_ignored_per_step() {
        let v = [1.0, f64::NAN, 3.0, f64::NAN];
        let b = band(&v, 2, 0.0, 1.0);
        assert_eq!((b.lo[0], b.mid[0], b.hi[0]), (1.0, 2.0, 3.0));
        assert!(b.mid[1].is_nan());
    }
}
