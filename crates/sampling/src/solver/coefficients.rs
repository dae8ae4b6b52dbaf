//! Weights of the linear multistep methods: integrals of Lagrange
//! polynomials, taken by Gauss–Legendre quadrature (exact for the
//! polynomials of LMS, accurate to rounding for DEIS's smooth integrand).

/// Points of the Gauss–Legendre rule; exact for polynomials of degree < 32.
const GAUSS_POINTS: usize = 16;

/// Nodes and weights of the Gauss–Legendre rule on [-1, 1], by Newton's
/// method on the Legendre polynomial from the Chebyshev-like first guess.
fn gauss_legendre(m: usize) -> Vec<(f64, f64)> {
    (0..m)
        .map(|i| {
            let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (m as f64 + 0.5)).cos();
            let mut dp = 1.0;
            for _ in 0..100 {
                // P_m(x) and P_m'(x) by the three-term recurrence.
                let (mut p0, mut p1) = (1.0, x);
                for k in 2..=m {
                    let p2 = ((2 * k - 1) as f64 * x * p1 - (k - 1) as f64 * p0) / k as f64;
                    p0 = p1;
                    p1 = p2;
                }
                dp = m as f64 * (x * p1 - p0) / (x * x - 1.0);
                let dx = p1 / dp;
                x -= dx;
                if dx.abs() < 1e-15 {
                    break;
                }
            }
            (x, 2.0 / ((1.0 - x * x) * dp * dp))
        })
        .collect()
}

/// l_j(tau) of the Lagrange basis on `nodes`.
fn lagrange(nodes: &[f64], j: usize, tau: f64) -> f64 {
    nodes
        .iter()
        .enumerate()
        .filter(|&(k, _)| k != j)
        .map(|(_, &nk)| (tau - nk) / (nodes[j] - nk))
        .product()
}

/// For each j: integral over sigma from `a` to `b` of l_j(time(sigma)),
/// where `nodes` are the times of the history points (newest first).
pub(super) fn integrated_lagrange(
    nodes: &[f64],
    a: f64,
    b: f64,
    time: impl Fn(f64) -> f64,
) -> Vec<f64> {
    let rule = gauss_legendre(GAUSS_POINTS);
    let (mid, half) = (0.5 * (a + b), 0.5 * (b - a));
    (0..nodes.len())
        .map(|j| {
            rule.iter()
                .map(|&(x, w)| w * lagrange(nodes, j, time(mid + half * x)))
                .sum::<f64>()
                * half
        })
        .collect()
}

/// diff-sampler's `edm2t`: the VP time of a sigma, for the VP process whose
/// sigma runs from 80 at t = 1 to 0.002 at t = 1e-3 (DEIS's time variable).
pub(super) fn vp_time(sigma: f64) -> f64 {
    const EPS_S: f64 = 1e-3;
    let (smin, smax) = (0.002f64, 80f64);
    let beta_d = 2.0 * ((smin * smin).ln_1p() / EPS_S - (smax * smax).ln_1p()) / (EPS_S - 1.0);
    let beta_min = (smax * smax).ln_1p() - 0.5 * beta_d;
    ((beta_min * beta_min + 2.0 * beta_d * (sigma * sigma).ln_1p()).sqrt() - beta_min) / beta_d
}

/// Adams–Bashforth weights of iPNDM on (eps_n, eps_{n-1}, ...), fixed
/// whatever the step sizes (Zhang & Chen's "improved PNDM").
pub(super) fn ipndm(order: usize) -> &'static [f64] {
    match order {
        1 => &[1.0],
        2 => &[1.5, -0.5],
        3 => &[23.0 / 12.0, -16.0 / 12.0, 5.0 / 12.0],
        _ => &[55.0 / 24.0, -59.0 / 24.0, 37.0 / 24.0, -9.0 / 24.0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_legendre_integrates_polynomials_exactly() {
        for deg in 0..31 {
            let got: f64 = gauss_legendre(GAUSS_POINTS)
                .iter()
                .map(|&(x, w)| w * x.powi(deg))
                .sum();
            let want = if deg % 2 == 1 {
                0.0
            } else {
                2.0 / (deg as f64 + 1.0)
            };
            assert!((got - want).abs() < 1e-14, "degree {deg}: {got} vs {want}");
        }
    }

    #[test]
    fn lms_weights_match_adams_bashforth_on_a_uniform_grid() {
        // Equal steps h: the weights are h times the Adams–Bashforth coefficients,
        // i.e. h times iPNDM's.
        let h = -0.25;
        for order in 1..=4 {
            let nodes: Vec<f64> = (0..order).map(|k| 3.0 - k as f64 * h).collect();
            let w = integrated_lagrange(&nodes, 3.0, 3.0 + h, |s| s);
            for (got, want) in w.iter().zip(ipndm(order)) {
                assert!((got - h * want).abs() < 1e-14, "order {order}: {w:?}");
            }
        }
    }

    #[test]
    fn vp_time_inverts_the_fitted_vp_sigma() {
        assert!((vp_time(80.0) - 1.0).abs() < 1e-12);
        assert!((vp_time(0.002) - 1e-3).abs() < 1e-12);
    }
}
