//! Small f64-accumulating vector helpers on f32 rows.

pub(crate) fn diff(a: &[f32], b: &[f32]) -> Vec<f64> {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| x as f64 - y as f64)
        .collect()
}

/// ‖a − b‖ of two f32 rows, accumulated in f64 (the same sum as
/// `norm(&diff(a, b))`, without the buffer).
pub fn distance(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            let d = x as f64 - y as f64;
            d * d
        })
        .sum::<f64>()
        .sqrt()
}

pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

pub(crate) fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

pub(crate) fn norm32(a: &[f32]) -> f64 {
    a.iter().map(|&x| x as f64 * x as f64).sum::<f64>().sqrt()
}

/// |a - <a, u> u| for a unit vector u: the part of a orthogonal to u, formed
/// explicitly so that a tiny residual is not lost to cancellation.
pub(crate) fn residual_norm(a: &[f64], u: &[f64]) -> f64 {
    let p = dot(a, u);
    a.iter()
        .zip(u)
        .map(|(x, y)| {
            let r = x - p * y;
            r * r
        })
        .sum::<f64>()
        .sqrt()
}

pub(crate) fn unit(a: &[f64]) -> Option<Vec<f64>> {
    let n = norm(a);
    (n > 0.0 && n.is_finite()).then(|| a.iter().map(|x| x / n).collect())
}

/// The largest finite value, NaN when there is none.
pub fn nanmax(v: &[f64]) -> f64 {
    v.iter()
        .copied()
        .filter(|x| x.is_finite())
        .fold(f64::NAN, f64::max)
}
