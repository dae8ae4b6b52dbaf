//! Synthetic manifolds of known intrinsic dimension and reach, embedded in
//! R^n by a random rotation, with their exact nearest-point projection. They
//! are the ground truth for geometric questions (does a sampler land on the
//! data manifold, how far off is it) that real data sets cannot answer.
//!
//! Everything is f64: the projection is exact up to rounding, so distances
//! of order 1e-9 are meaningful. All manifolds are centred at the origin.

use crate::dataset::Dataset;
use crate::error::DataError;
use crate::rng::Stream;
use rayon::prelude::*;
use std::f64::consts::TAU;

/// Folded into the seeds so the frame and the samples of one seed are
/// independent of each other and of the other generators.
const FRAME_SEED: u64 = 0x4D41_4E49_4652_414D;
const SAMPLE_SEED: u64 = 0x4D41_4E49_5341_4D50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ManifoldKind {
    /// The round k-sphere S^k of radius r (in k + 1 dimensions).
    Sphere,
    /// The flat (Clifford) k-torus: a product of k circles of radius r, in
    /// 2k dimensions.
    Torus,
    /// A k-dimensional linear subspace (reach infinite).
    Subspace,
}

impl ManifoldKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ManifoldKind::Sphere => "sphere",
            ManifoldKind::Torus => "torus",
            ManifoldKind::Subspace => "subspace",
        }
    }

    /// Dimension of the linear span the manifold occupies, or None when it
    /// does not fit in a usize.
    fn span(self, k: usize) -> Option<usize> {
        match self {
            ManifoldKind::Sphere => k.checked_add(1),
            ManifoldKind::Torus => k.checked_mul(2),
            ManifoldKind::Subspace => Some(k),
        }
    }
}

/// A manifold living in a random `frame.len() / ambient`-dimensional
/// subspace of R^ambient.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifold {
    pub kind: ManifoldKind,
    /// Intrinsic dimension.
    pub k: usize,
    /// Dimension of the embedding space.
    pub ambient: usize,
    /// Circle/sphere radius; for a subspace, the standard deviation of the
    /// sampled coordinates.
    pub radius: f64,
    /// ambient x m, orthonormal columns, row-major; m is the span dimension.
    frame: Vec<f64>,
    /// The seed the frame was drawn from, recorded in sample provenance.
    seed: u64,
}

/// Q of the Householder QR factorisation of an n x m standard-normal
/// matrix (row i drawn from stream i), columns multiplied by the signs of
/// R's diagonal so that Q is Haar-distributed: the first m columns of a
/// uniformly random rotation. Returned row-major, n x m.
fn random_frame(n: usize, m: usize, seed: u64) -> Vec<f64> {
    // Column-major working copy: a[j * n + i] is entry (i, j).
    let mut a = vec![0.0f64; n * m];
    for i in 0..n {
        let mut s = Stream::new(seed ^ FRAME_SEED, i as u64);
        for j in 0..m {
            a[j * n + i] = s.normal();
        }
    }
    // Householder vectors v_j (acting on rows j..n), their 2/|v|^2, and the
    // sign of each R_jj.
    let mut reflectors: Vec<(Vec<f64>, f64)> = Vec::with_capacity(m);
    let mut signs = Vec::with_capacity(m);
    for j in 0..m {
        let mut v = a[j * n + j..(j + 1) * n].to_vec();
        let alpha = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        // Adding sign(x0)|x| avoids cancellation; then R_jj = -sign(x0)|x|.
        let s = if v[0] >= 0.0 { 1.0 } else { -1.0 };
        v[0] += s * alpha;
        let vv = v.iter().map(|x| x * x).sum::<f64>();
        let beta = if vv > 0.0 { 2.0 / vv } else { 0.0 };
        for col in j..m {
            let c = &mut a[col * n + j..(col + 1) * n];
            let t = beta * v.iter().zip(c.iter()).map(|(x, y)| x * y).sum::<f64>();
            c.iter_mut().zip(&v).for_each(|(y, x)| *y -= t * x);
        }
        signs.push(if alpha > 0.0 { -s } else { 1.0 });
        reflectors.push((v, beta));
    }
    // Q = H_0 H_1 ... H_{m-1} applied to the first m columns of I. Column
    // k < j is still e_k when H_j is applied, which leaves it unchanged.
    let mut q = vec![0.0f64; n * m];
    for j in 0..m {
        q[j * n + j] = 1.0;
    }
    for (j, (v, beta)) in reflectors.iter().enumerate().rev() {
        for col in j..m {
            let c = &mut q[col * n + j..(col + 1) * n];
            let t = beta * v.iter().zip(c.iter()).map(|(x, y)| x * y).sum::<f64>();
            c.iter_mut().zip(v).for_each(|(y, x)| *y -= t * x);
        }
    }
    let mut frame = vec![0.0f64; n * m];
    for (j, sign) in signs.iter().enumerate() {
        for i in 0..n {
            frame[i * m + j] = sign * q[j * n + i];
        }
    }
    frame
}

/// Casts to f32 without overflowing to infinity (`Dataset` forbids it).
fn to_f32(x: f64) -> f32 {
    x.clamp(-f64::from(f32::MAX), f64::from(f32::MAX)) as f32
}

impl Manifold {
    /// A manifold with intrinsic dimension `k` in R^`ambient`, placed by a
    /// random rotation drawn from `seed`. Sphere: S^k of radius `radius`
    /// (needs k + 1 <= ambient); torus: k circles of radius `radius` (needs
    /// 2k <= ambient); subspace: k <= ambient. k >= 1 and a positive finite
    /// radius are required.
    pub fn new(
        kind: ManifoldKind,
        k: usize,
        ambient: usize,
        radius: f64,
        seed: u64,
    ) -> Result<Self, DataError> {
        let fail = |msg: String| {
            Err(DataError::Invalid(format!(
                "manifold {}: {msg}",
                kind.as_str()
            )))
        };
        if k == 0 {
            return fail("parameter k = 0: the intrinsic dimension must be at least 1".into());
        }
        if !(radius.is_finite() && radius > 0.0) {
            return fail(format!(
                "parameter radius = {radius}: must be positive and finite"
            ));
        }
        let need = kind.span(k);
        let Some(m) = need.filter(|&m| m <= ambient) else {
            let rule = match kind {
                ManifoldKind::Sphere => "k + 1",
                ManifoldKind::Torus => "2k",
                ManifoldKind::Subspace => "k",
            };
            let need = need.map_or_else(|| "more than usize::MAX".into(), |m| m.to_string());
            return fail(format!(
                "parameter ambient = {ambient}: must be at least {rule} = {need} for k = {k}"
            ));
        };
        Ok(Manifold {
            kind,
            k,
            ambient,
            radius,
            frame: random_frame(ambient, m, seed),
            seed,
        })
    }

    /// Short identifier, e.g. "sphere-k2-n64".
    pub fn name(&self) -> String {
        format!("{}-k{}-n{}", self.kind.as_str(), self.k, self.ambient)
    }

    pub fn intrinsic_dim(&self) -> usize {
        self.k
    }

    /// Largest r such that every point within distance r has a unique
    /// nearest point: the radius for the sphere and the flat torus (each
    /// circle's centre is equidistant from all of it), infinite for a
    /// subspace.
    pub fn reach(&self) -> f64 {
        match self.kind {
            ManifoldKind::Sphere | ManifoldKind::Torus => self.radius,
            ManifoldKind::Subspace => f64::INFINITY,
        }
    }

    /// The orthonormal frame, ambient x m row-major (m = k + 1, 2k or k).
    pub fn frame(&self) -> &[f64] {
        &self.frame
    }

    /// Number of frame columns m.
    pub fn frame_cols(&self) -> usize {
        self.frame.len() / self.ambient
    }

    /// Frame coordinates F^T x.
    fn coords(&self, x: &[f64]) -> Vec<f64> {
        assert_eq!(
            x.len(),
            self.ambient,
            "point of dimension {} for a manifold in R^{}",
            x.len(),
            self.ambient
        );
        let m = self.frame_cols();
        let mut y = vec![0.0f64; m];
        for (row, &xi) in self.frame.chunks_exact(m).zip(x) {
            y.iter_mut().zip(row).for_each(|(yj, f)| *yj += f * xi);
        }
        y
    }

    /// The ambient point F z.
    fn embed(&self, z: &[f64]) -> Vec<f64> {
        let m = self.frame_cols();
        self.frame
            .chunks_exact(m)
            .map(|row| row.iter().zip(z).map(|(f, zj)| f * zj).sum())
            .collect()
    }

    /// Scales (a, b) to length r; at the origin, where every point of the
    /// circle is nearest, picks (r, 0).
    fn onto_circle(a: f64, b: f64, r: f64) -> (f64, f64) {
        let h = a.hypot(b);
        if h > 0.0 {
            (r * a / h, r * b / h)
        } else {
            (r, 0.0)
        }
    }

    /// The nearest point of the manifold to `x` (length `ambient`, else
    /// panics). Sphere: r y/|y| in frame coordinates y = F^T x; at y = 0
    /// every point is nearest and r times the frame's first axis is
    /// returned. Torus: each circle's plane normalised to radius r, with the
    /// same convention at 0 (the plane's first axis). Subspace: F F^T x.
    pub fn project(&self, x: &[f64]) -> Vec<f64> {
        let mut y = self.coords(x);
        let r = self.radius;
        match self.kind {
            ManifoldKind::Sphere => {
                let norm = y.iter().map(|v| v * v).sum::<f64>().sqrt();
                if norm > 0.0 {
                    y.iter_mut().for_each(|v| *v *= r / norm);
                } else {
                    y.fill(0.0);
                    y[0] = r;
                }
            }
            ManifoldKind::Torus => {
                for pair in y.chunks_exact_mut(2) {
                    (pair[0], pair[1]) = Self::onto_circle(pair[0], pair[1], r);
                }
            }
            ManifoldKind::Subspace => {}
        }
        self.embed(&y)
    }

    /// Euclidean distance from `x` to the manifold.
    pub fn distance(&self, x: &[f64]) -> f64 {
        let p = self.project(x);
        x.iter()
            .zip(&p)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt()
    }

    /// Whether `x` lies within `tol` of the manifold.
    pub fn contains(&self, x: &[f64], tol: f64) -> bool {
        self.distance(x) <= tol
    }

    /// `m` points (raised to 1 if zero): uniform on the sphere (a
    /// normalised Gaussian) or torus (uniform angles), N(0, radius^2 I_k)
    /// coordinates on a subspace. Point i uses its own random stream, so it
    /// depends only on (seed, i). Values are rounded to f32.
    pub fn sample(&self, m: usize, seed: u64) -> Dataset {
        let n = m.max(1);
        let d = self.ambient;
        let cols = self.frame_cols();
        let r = self.radius;
        let mut rows = vec![0.0f32; n * d];
        rows.par_chunks_mut(d).enumerate().for_each(|(i, out)| {
            let mut s = Stream::new(seed ^ SAMPLE_SEED, i as u64);
            let z: Vec<f64> = match self.kind {
                ManifoldKind::Sphere => loop {
                    let g: Vec<f64> = (0..cols).map(|_| s.normal()).collect();
                    let norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
                    // A zero vector has probability 0; redraw if it occurs.
                    if norm > 0.0 {
                        break g.into_iter().map(|v| r * v / norm).collect();
                    }
                },
                ManifoldKind::Torus => (0..self.k)
                    .flat_map(|_| {
                        let t = TAU * s.uniform();
                        [r * t.cos(), r * t.sin()]
                    })
                    .collect(),
                ManifoldKind::Subspace => (0..cols).map(|_| r * s.normal()).collect(),
            };
            for (o, v) in out.iter_mut().zip(self.embed(&z)) {
                *o = to_f32(v);
            }
        });
        Dataset {
            rows,
            n,
            d,
            item_shape: vec![d],
            labels: None,
            source: format!(
                "{} (radius {r}, frame seed {}): {n} samples, seed {seed}",
                self.name(),
                self.seed
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(v: &[f64]) -> f64 {
        v.iter().map(|x| x * x).sum::<f64>().sqrt()
    }

    fn sub(a: &[f64], b: &[f64]) -> Vec<f64> {
        a.iter().zip(b).map(|(x, y)| x - y).collect()
    }

    fn add_scaled(a: &mut [f64], t: f64, b: &[f64]) {
        a.iter_mut().zip(b).for_each(|(x, y)| *x += t * y);
    }

    fn gaussian(n: usize, seed: u64, scale: f64) -> Vec<f64> {
        let mut s = Stream::new(seed, 77);
        (0..n).map(|_| scale * s.normal()).collect()
    }

    fn row_f64(ds: &Dataset, i: usize) -> Vec<f64> {
        ds.row(i).iter().map(|&v| f64::from(v)).collect()
    }

    /// The component of `w` orthogonal to the frame's span, unit length.
    fn unit_complement(m: &Manifold, w: &[f64]) -> Vec<f64> {
        let y = m.coords(w);
        let perp = sub(w, &m.embed(&y));
        let n = norm(&perp);
        perp.iter().map(|v| v / n).collect()
    }

    fn all() -> Vec<Manifold> {
        vec![
            Manifold::new(ManifoldKind::Sphere, 2, 64, 1.5, 1).unwrap(),
            Manifold::new(ManifoldKind::Sphere, 5, 9, 0.3, 2).unwrap(),
            Manifold::new(ManifoldKind::Torus, 3, 40, 0.7, 3).unwrap(),
            Manifold::new(ManifoldKind::Torus, 1, 5, 2.0, 4).unwrap(),
            Manifold::new(ManifoldKind::Subspace, 4, 30, 2.0, 5).unwrap(),
        ]
    }

    #[test]
    fn frames_are_orthonormal() {
        let mut cases = all();
        // Full-rank edge cases: the frame is a whole rotation.
        cases.push(Manifold::new(ManifoldKind::Sphere, 2, 3, 1.0, 9).unwrap());
        cases.push(Manifold::new(ManifoldKind::Subspace, 7, 7, 1.0, 9).unwrap());
        for man in &cases {
            let m = man.frame_cols();
            assert_eq!(man.frame().len(), man.ambient * m);
            for a in 0..m {
                for b in 0..m {
                    let dot: f64 = man.frame().chunks_exact(m).map(|row| row[a] * row[b]).sum();
                    let want = if a == b { 1.0 } else { 0.0 };
                    assert!(
                        (dot - want).abs() < 1e-12,
                        "{} ({a},{b}): {dot}",
                        man.name()
                    );
                }
            }
        }
        let a = Manifold::new(ManifoldKind::Torus, 2, 10, 1.0, 42).unwrap();
        let b = Manifold::new(ManifoldKind::Torus, 2, 10, 1.0, 42).unwrap();
        let c = Manifold::new(ManifoldKind::Torus, 2, 10, 1.0, 43).unwrap();
        assert_eq!(a, b);
        assert_ne!(a.frame(), c.frame());
    }

    #[test]
    fn names_dimensions_and_reach() {
        let s = Manifold::new(ManifoldKind::Sphere, 2, 64, 1.5, 0).unwrap();
        assert_eq!(s.name(), "sphere-k2-n64");
        assert_eq!((s.intrinsic_dim(), s.frame_cols(), s.reach()), (2, 3, 1.5));
        let t = Manifold::new(ManifoldKind::Torus, 3, 6, 0.5, 0).unwrap();
        assert_eq!(t.name(), "torus-k3-n6");
        assert_eq!((t.frame_cols(), t.reach()), (6, 0.5));
        let u = Manifold::new(ManifoldKind::Subspace, 4, 4, 1.0, 0).unwrap();
        assert_eq!(u.name(), "subspace-k4-n4");
        assert_eq!(u.reach(), f64::INFINITY);
    }

    #[test]
    fn bad_parameters_name_the_parameter() {
        let err = |kind, k, n, r| Manifold::new(kind, k, n, r, 0).unwrap_err().to_string();
        let e = err(ManifoldKind::Sphere, 0, 10, 1.0);
        assert!(e.contains("parameter k = 0"), "{e}");
        let e = err(ManifoldKind::Sphere, 3, 3, 1.0);
        assert!(
            e.contains("parameter ambient = 3") && e.contains("k + 1 = 4"),
            "{e}"
        );
        let e = err(ManifoldKind::Torus, 3, 5, 1.0);
        assert!(
            e.contains("parameter ambient = 5") && e.contains("2k = 6"),
            "{e}"
        );
        let e = err(ManifoldKind::Torus, usize::MAX, 5, 1.0);
        assert!(e.contains("parameter ambient"), "{e}");
        let e = err(ManifoldKind::Subspace, 4, 3, 1.0);
        assert!(e.contains("parameter ambient = 3"), "{e}");
        for r in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let e = err(ManifoldKind::Subspace, 1, 3, r);
            assert!(e.contains("parameter radius"), "{e}");
        }
    }

    #[test]
    fn samples_lie_on_the_manifold() {
        for man in all() {
            let ds = man.sample(200, 11);
            assert_eq!((ds.n, ds.d), (200, man.ambient));
            assert_eq!(ds.item_shape, vec![man.ambient]);
            assert!(ds.labels.is_none());
            assert!(ds.source.starts_with(&man.name()), "{}", ds.source);
            for i in 0..ds.n {
                let x = row_f64(&ds, i);
                // f32 rounding of the stored values is the only error.
                assert!(
                    man.contains(&x, 1e-5),
                    "{} row {i}: {}",
                    man.name(),
                    man.distance(&x)
                );
                if man.kind == ManifoldKind::Sphere {
                    assert!((norm(&x) - man.radius).abs() < 1e-5);
                }
            }
        }
    }

    #[test]
    fn samples_are_prefix_stable_and_spread() {
        let man = Manifold::new(ManifoldKind::Sphere, 2, 16, 1.0, 7).unwrap();
        let big = man.sample(2000, 5);
        let small = man.sample(10, 5);
        assert_eq!(small.rows, big.rows[..10 * 16].to_vec());
        assert_ne!(man.sample(10, 6).rows, small.rows);
        assert_eq!(man.sample(0, 5).n, 1);
        // Uniform on the sphere: the mean is near the centre.
        let mut mean = vec![0.0f64; 16];
        for i in 0..big.n {
            add_scaled(&mut mean, 1.0 / big.n as f64, &row_f64(&big, i));
        }
        assert!(norm(&mean) < 0.1, "{}", norm(&mean));

        // Torus angles uniform: each circle's mean position is near 0.
        let t = Manifold::new(ManifoldKind::Torus, 2, 4, 1.0, 7).unwrap();
        let ds = t.sample(4000, 1);
        for c in 0..2 {
            let (mut ca, mut cb) = (0.0, 0.0);
            for i in 0..ds.n {
                let y = t.coords(&row_f64(&ds, i));
                ca += y[2 * c] / ds.n as f64;
                cb += y[2 * c + 1] / ds.n as f64;
            }
            assert!(ca.hypot(cb) < 0.1, "circle {c}: ({ca}, {cb})");
        }
        // Subspace coordinates have standard deviation `radius`.
        let u = Manifold::new(ManifoldKind::Subspace, 1, 3, 2.0, 7).unwrap();
        let ds = u.sample(4000, 1);
        let var = (0..ds.n)
            .map(|i| norm(&row_f64(&ds, i)).powi(2))
            .sum::<f64>()
            / ds.n as f64;
        assert!((var - 4.0).abs() < 0.4, "{var}");
    }

    /// For p on the manifold and a normal vector v with |v| < reach, the
    /// projection of p + v is p.
    #[test]
    fn normal_offsets_project_back() {
        for (idx, man) in all().into_iter().enumerate() {
            let n = man.ambient;
            let r = man.radius;
            for trial in 0..20u64 {
                let seed = 1000 * idx as u64 + trial;
                let p = man.project(&gaussian(n, seed, 1.0));
                assert!(man.contains(&p, 1e-12 * (1.0 + r)));
                let has_complement = man.frame_cols() < n;
                let perp = if has_complement {
                    unit_complement(&man, &gaussian(n, seed + 500_000, 1.0))
                } else {
                    vec![0.0; n]
                };
                // Normal directions within the span (radial ones).
                let mut radial: Vec<Vec<f64>> = Vec::new();
                let y = man.coords(&p);
                match man.kind {
                    ManifoldKind::Sphere => radial.push(p.iter().map(|v| v / r).collect()),
                    ManifoldKind::Torus => {
                        for c in 0..man.k {
                            let mut z = vec![0.0; y.len()];
                            z[2 * c] = y[2 * c] / r;
                            z[2 * c + 1] = y[2 * c + 1] / r;
                            radial.push(man.embed(&z));
                        }
                    }
                    ManifoldKind::Subspace => {}
                }
                // Random weights, scaled so |v| = 0.95 reach (10 for a subspace).
                let w = gaussian(radial.len() + 1, seed + 7, 1.0);
                let mut v = vec![0.0; n];
                for (dir, &wi) in radial.iter().zip(&w) {
                    add_scaled(&mut v, wi, dir);
                }
                add_scaled(&mut v, w[radial.len()], &perp);
                let len = norm(&v);
                if len == 0.0 {
                    continue;
                }
                let target = if r.is_finite() && man.kind != ManifoldKind::Subspace {
                    0.95 * man.reach()
                } else {
                    10.0
                };
                v.iter_mut().for_each(|x| *x *= target / len);
                let mut x = p.clone();
                add_scaled(&mut x, 1.0, &v);
                let q = man.project(&x);
                let err = norm(&sub(&q, &p));
                assert!(err < 1e-9, "{} trial {trial}: {err}", man.name());
                assert!((man.distance(&x) - target).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn projection_is_idempotent() {
        for (idx, man) in all().into_iter().enumerate() {
            for trial in 0..20u64 {
                let x = gaussian(man.ambient, 50 * idx as u64 + trial, 3.0);
                let p = man.project(&x);
                let pp = man.project(&p);
                assert!(
                    norm(&sub(&p, &pp)) < 1e-12 * (1.0 + norm(&p)),
                    "{}",
                    man.name()
                );
                assert!(man.distance(&p) < 1e-12 * (1.0 + norm(&p)));
            }
        }
    }

    #[test]
    fn distance_is_a_lower_bound_over_samples() {
        for (idx, man) in all().into_iter().enumerate() {
            let ds = man.sample(300, 3);
            let ys: Vec<Vec<f64>> = (0..ds.n).map(|i| row_f64(&ds, i)).collect();
            for trial in 0..10u64 {
                let x = gaussian(man.ambient, 90 * idx as u64 + trial, 1.0);
                let dist = man.distance(&x);
                let nearest = ys
                    .iter()
                    .map(|y| norm(&sub(&x, y)))
                    .fold(f64::INFINITY, f64::min);
                // Samples are f32-rounded, hence the small slack.
                assert!(dist <= nearest + 1e-5, "{}: {dist} > {nearest}", man.name());
            }
        }
    }

    #[test]
    fn sphere_distance_closed_form_and_origin_convention() {
        let man = Manifold::new(ManifoldKind::Sphere, 3, 12, 2.0, 8).unwrap();
        let x = gaussian(12, 4, 1.0);
        let y = man.coords(&x);
        let (nx, ny) = (norm(&x), norm(&y));
        let want = (nx * nx - ny * ny + (ny - 2.0) * (ny - 2.0)).sqrt();
        assert!((man.distance(&x) - want).abs() < 1e-12);

        // At the centre (or anywhere orthogonal to the span) every point is
        // nearest; r times the first frame axis is returned.
        let first_axis: Vec<f64> = man
            .frame()
            .chunks_exact(4)
            .map(|row| 2.0 * row[0])
            .collect();
        let p = man.project(&[0.0; 12]);
        assert!(norm(&sub(&p, &first_axis)) < 1e-15);
        assert!((man.distance(&[0.0; 12]) - 2.0).abs() < 1e-12);

        let torus = Manifold::new(ManifoldKind::Torus, 2, 5, 1.0, 8).unwrap();
        let p = torus.project(&[0.0; 5]);
        let z = torus.coords(&p);
        let want = [1.0, 0.0, 1.0, 0.0];
        assert!(
            z.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-12),
            "{z:?}"
        );
    }
}
