//! Geometry of one polyline p_0 ... p_last in R^d.

use crate::vec::{diff, distance, dot, norm, residual_norm, unit};

/// Per-point and whole-path measures; NaN where a measure is undefined
/// (curvature at the ends, anything relative to a zero-length chord).
#[derive(Debug, Clone, PartialEq)]
pub struct PathGeometry {
    /// Distance of p_n from the line through p_0 and p_last.
    pub deviation: Vec<f64>,
    /// deviation / |p_last - p_0|.
    pub rel_deviation: Vec<f64>,
    /// |p_n - p_last|.
    pub dist_to_end: Vec<f64>,
    /// Menger curvature of (p_{n-1}, p_n, p_{n+1}): 2 sin(angle at p_n) / |p_{n+1} - p_{n-1}|.
    pub curvature: Vec<f64>,
    /// Angle between p_n - p_{n-1} and p_{n+1} - p_n, in degrees.
    pub turning_deg: Vec<f64>,
    /// |p_last - p_0|.
    pub chord: f64,
    /// Sum of |p_{n+1} - p_n|.
    pub length: f64,
    /// chord / length (1 for a straight path).
    pub straightness: f64,
}

pub fn path_geometry(points: &[&[f32]]) -> PathGeometry {
    let m = points.len();
    let nan = vec![f64::NAN; m];
    if m == 0 {
        return PathGeometry {
            deviation: vec![],
            rel_deviation: vec![],
            dist_to_end: vec![],
            curvature: vec![],
            turning_deg: vec![],
            chord: f64::NAN,
            length: f64::NAN,
            straightness: f64::NAN,
        };
    }
    let (first, last) = (points[0], points[m - 1]);
    let chord_vec = diff(last, first);
    let chord = norm(&chord_vec);
    let u = unit(&chord_vec);
    let deviation: Vec<f64> = match &u {
        Some(u) => points
            .iter()
            .map(|p| residual_norm(&diff(p, first), u))
            .collect(),
        None => nan.clone(),
    };
    let rel_deviation = deviation.iter().map(|v| v / chord).collect();
    let dist_to_end = points.iter().map(|p| distance(p, last)).collect();
    let steps: Vec<Vec<f64>> = points.windows(2).map(|w| diff(w[1], w[0])).collect();
    let length: f64 = steps.iter().map(|s| norm(s)).sum();
    let mut curvature = nan.clone();
    let mut turning_deg = nan;
    for n in 1..m.saturating_sub(1) {
        let (back, fwd) = (&steps[n - 1], &steps[n]);
        if let (Some(ub), Some(uf)) = (unit(back), unit(fwd)) {
            // Angle at p_n between p_{n-1} - p_n and p_{n+1} - p_n is pi - turn,
            // so sin is the same; atan2 keeps small angles accurate.
            let sin = residual_norm(&ub, &uf);
            let cos = dot(&ub, &uf);
            turning_deg[n] = sin.atan2(cos).to_degrees();
            let span: Vec<f64> = back.iter().zip(fwd).map(|(a, b)| a + b).collect();
            curvature[n] = 2.0 * sin / norm(&span);
        }
    }
    PathGeometry {
        deviation,
        rel_deviation,
        dist_to_end,
        curvature,
        turning_deg,
        chord,
        length,
        straightness: chord / length,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points on a circle of radius r in a rotated plane of R^d.
    fn arc(r: f64, angles: &[f64], d: usize) -> Vec<Vec<f32>> {
        // Two orthonormal directions mixing every coordinate.
        let e1: Vec<f64> = (0..d).map(|k| ((k as f64) * 0.7).sin()).collect();
        let e1 = unit(&e1).unwrap();
        let raw: Vec<f64> = (0..d).map(|k| ((k as f64) * 1.3 + 0.5).cos()).collect();
        let p = dot(&raw, &e1);
        let e2 = unit(
            &raw.iter()
                .zip(&e1)
                .map(|(a, b)| a - p * b)
                .collect::<Vec<_>>(),
        )
        .unwrap();
        angles
            .iter()
            .map(|t| {
                (0..d)
                    .map(|k| (1.0 + r * (t.cos() * e1[k] + t.sin() * e2[k])) as f32)
                    .collect()
            })
            .collect()
    }

    #[test]
    fn circle_has_curvature_one_over_r_and_known_deviation() {
        let (r, d, n) = (3.0, 50, 13);
        let theta = 2.0; // radians of arc
        let angles: Vec<f64> = (0..n).map(|i| theta * i as f64 / (n - 1) as f64).collect();
        let pts = arc(r, &angles, d);
        let refs: Vec<&[f32]> = pts.iter().map(|p| p.as_slice()).collect();
        let g = path_geometry(&refs);
        let step = theta / (n - 1) as f64;
        for (i, phi) in angles.iter().enumerate().take(n - 1).skip(1) {
            assert!(
                (g.curvature[i] - 1.0 / r).abs() < 1e-5,
                "{}",
                g.curvature[i]
            );
            assert!((g.turning_deg[i] - step.to_degrees()).abs() < 1e-4);
            // Distance from the chord: r (cos(phi - theta/2) - cos(theta/2)).
            let want = r * ((phi - theta / 2.0).cos() - (theta / 2.0).cos());
            assert!(
                (g.deviation[i] - want).abs() < 1e-5,
                "{} vs {want}",
                g.deviation[i]
            );
        }
        assert!(g.curvature[0].is_nan() && g.curvature[n - 1].is_nan());
        let chord = 2.0 * r * (theta / 2.0).sin();
        assert!((g.chord - chord).abs() < 1e-5);
        let length = (n - 1) as f64 * 2.0 * r * (step / 2.0).sin();
        assert!((g.length - length).abs() < 1e-5);
        assert!((g.straightness - chord / length).abs() < 1e-6);
        assert_eq!(g.rel_deviation[3], g.deviation[3] / g.chord);
        assert_eq!(g.deviation[0], 0.0);
        assert!(g.deviation[n - 1] < 1e-5);
    }

    #[test]
    fn straight_line_is_straight() {
        let pts: Vec<Vec<f32>> = (0..6)
            .map(|i| vec![i as f32 * 0.5, -(i as f32), 2.0 + i as f32 * 0.25])
            .collect();
        let refs: Vec<&[f32]> = pts.iter().map(|p| p.as_slice()).collect();
        let g = path_geometry(&refs);
        assert!(g.deviation.iter().all(|&v| v < 1e-12));
        assert!(g.curvature[1..5].iter().all(|&v| v.abs() < 1e-12));
        assert!(g.turning_deg[1..5].iter().all(|&v| v.abs() < 1e-9));
        assert!((g.straightness - 1.0).abs() < 1e-12);
        assert!((g.dist_to_end[0] - g.chord).abs() < 1e-12);
    }

    #[test]
    fn right_angle_turn() {
        let pts = [vec![0.0f32, 0.0], vec![1.0, 0.0], vec![1.0, 1.0]];
        let refs: Vec<&[f32]> = pts.iter().map(|p| p.as_slice()).collect();
        let g = path_geometry(&refs);
        assert!((g.turning_deg[1] - 90.0).abs() < 1e-12);
        // Circumcircle of a right isosceles triangle with legs 1: radius sqrt(2)/2.
        assert!((g.curvature[1] - 2f64.sqrt()).abs() < 1e-12);
        assert!((g.deviation[1] - 0.5f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn zero_chord_gives_nan_not_panic() {
        let pts = [vec![1.0f32, 1.0], vec![2.0, 0.0], vec![1.0, 1.0]];
        let refs: Vec<&[f32]> = pts.iter().map(|p| p.as_slice()).collect();
        let g = path_geometry(&refs);
        assert!(g.deviation[1].is_nan() && g.straightness == 0.0);
    }
}
