//! Host side of the optimal denoiser at small sigma: keep, per row, every
//! data point whose approximate score could be within the softmax's reach of
//! the best one, then decide the softmax on exact f64 distances.

/// Candidates of one row: indices whose approximate score s~ lies within
/// `window` of the running maximum.
pub(crate) struct Candidates {
    window: f32,
    best: f32,
    idx: Vec<u32>,
    score: Vec<f32>,
    pruned_len: usize,
}

impl Candidates {
    pub(crate) fn new(window: f64) -> Self {
        Self {
            window: window as f32,
            best: f32::NEG_INFINITY,
            idx: Vec::new(),
            score: Vec::new(),
            pruned_len: 64,
        }
    }

    /// Offers approximate scores of data points `start..start + scores.len()`.
    pub(crate) fn offer(&mut self, start: usize, scores: &[f32]) {
        let chunk_best = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        if chunk_best > self.best {
            self.best = chunk_best;
        }
        let floor = self.best - self.window;
        for (k, &s) in scores.iter().enumerate() {
            if s >= floor {
                self.idx.push((start + k) as u32);
                self.score.push(s);
            }
        }
        // Earlier entries may have fallen out of the window as the best rose.
        if self.idx.len() > 2 * self.pruned_len {
            self.prune();
            self.pruned_len = self.idx.len().max(64);
        }
    }

    fn prune(&mut self) {
        let floor = self.best - self.window;
        let mut w = 0;
        for r in 0..self.idx.len() {
            if self.score[r] >= floor {
                self.idx[w] = self.idx[r];
                self.score[w] = self.score[r];
                w += 1;
            }
        }
        self.idx.truncate(w);
        self.score.truncate(w);
    }

    /// The softmax-weighted mean of the candidates with exact f64 scores
    /// -|x - y_i|^2 / 2, written into `out`. Returns the number of candidates.
    pub(crate) fn resolve(
        mut self,
        x: &[f32],
        data: &[f32],
        d: usize,
        sigma: f64,
        out: &mut [f32],
    ) -> usize {
        self.prune();
        let exact: Vec<f64> = self
            .idx
            .iter()
            .map(|&i| {
                let y = &data[i as usize * d..(i as usize + 1) * d];
                -0.5 * x
                    .iter()
                    .zip(y)
                    .map(|(&a, &b)| {
                        let t = a as f64 - b as f64;
                        t * t
                    })
                    .sum::<f64>()
            })
            .collect();
        let m = exact.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let inv = 1.0 / (sigma * sigma);
        let mut acc = vec![0.0f64; d];
        let mut total = 0.0f64;
        for (&i, &s) in self.idx.iter().zip(&exact) {
            let w = ((s - m) * inv).exp();
            total += w;
            let y = &data[i as usize * d..(i as usize + 1) * d];
            for (a, &v) in acc.iter_mut().zip(y) {
                *a += w * v as f64;
            }
        }
        // No candidate (a non-finite row) leaves NaN for the caller to report.
        for (o, a) in out.iter_mut().zip(&acc) {
            *o = (a / total) as f32;
        }
        self.idx.len()
    }
}
