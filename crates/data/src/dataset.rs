//! An in-memory data set: `n` rows of `d` f32 values, row-major, with the
//! item shape the rows came from (e.g. [1, 28, 28]) and optional labels.

use crate::error::DataError;

#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Row-major values, `n * d` of them.
    pub rows: Vec<f32>,
    pub n: usize,
    pub d: usize,
    /// Shape of one item; its product is `d`.
    pub item_shape: Vec<usize>,
    /// One label per row when the source has them.
    pub labels: Option<Vec<u8>>,
    /// Human-readable provenance, recorded alongside results.
    pub source: String,
}

impl Dataset {
    /// Builds a data set after checking every invariant the rest of the
    /// workspace relies on, so downstream code never re-validates.
    pub fn new(
        rows: Vec<f32>,
        n: usize,
        d: usize,
        item_shape: Vec<usize>,
        labels: Option<Vec<u8>>,
        source: impl Into<String>,
    ) -> Result<Self, DataError> {
        let source = source.into();
        let fail = |msg: String| Err(DataError::Invalid(format!("dataset {source:?}: {msg}")));
        if n == 0 {
            return fail("no rows (n = 0)".into());
        }
        if d == 0 {
            return fail("zero-dimensional rows (d = 0)".into());
        }
        match n.checked_mul(d) {
            Some(len) if len == rows.len() => {}
            _ => {
                return fail(format!("{} values do not make {n} rows of {d}", rows.len()));
            }
        }
        let shape_product = item_shape
            .iter()
            .try_fold(1usize, |acc, &s| acc.checked_mul(s));
        if shape_product != Some(d) {
            return fail(format!(
                "item shape {item_shape:?} does not hold d = {d} values"
            ));
        }
        if let Some(l) = &labels
            && l.len() != n
        {
            return fail(format!("{} labels for {n} rows", l.len()));
        }
        if let Some(pos) = rows.iter().position(|v| !v.is_finite()) {
            return fail(format!(
                "non-finite value {} at row {}, column {}",
                rows[pos],
                pos / d,
                pos % d
            ));
        }
        Ok(Dataset {
            rows,
            n,
            d,
            item_shape,
            labels,
            source,
        })
    }

    /// Row `i`; panics on an out-of-range index like slice indexing does.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.rows[i * self.d..(i + 1) * self.d]
    }

    /// Keeps the first `min(m, n)` rows (at least one, so the non-empty
    /// invariant holds) and notes the cut in `source`.
    pub fn limit(mut self, m: usize) -> Self {
        let keep = m.clamp(1, self.n);
        if keep < self.n {
            self.rows.truncate(keep * self.d);
            if let Some(l) = &mut self.labels {
                l.truncate(keep);
            }
            self.source = format!("{} [first {keep} of {}]", self.source, self.n);
            self.n = keep;
        }
        self
    }

    /// Largest Euclidean norm of any row, accumulated in f64.
    pub fn max_norm(&self) -> f64 {
        self.rows
            .chunks_exact(self.d)
            .map(|r| {
                r.iter()
                    .map(|&v| f64::from(v) * f64::from(v))
                    .sum::<f64>()
                    .sqrt()
            })
            .fold(0.0, f64::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Dataset {
        Dataset::new(
            vec![3.0, 4.0, 0.0, 1.0, -6.0, 8.0],
            3,
            2,
            vec![2],
            Some(vec![0, 1, 2]),
            "test",
        )
        .unwrap()
    }

    #[test]
    fn rows_and_norm() {
        let ds = small();
        assert_eq!(ds.row(1), &[0.0, 1.0]);
        assert_eq!(ds.row(2), &[-6.0, 8.0]);
        assert!((ds.max_norm() - 10.0).abs() < 1e-12);
    }

    #[test]
    fn limit_truncates_rows_and_labels() {
        let ds = small().limit(2);
        assert_eq!(ds.n, 2);
        assert_eq!(ds.rows, vec![3.0, 4.0, 0.0, 1.0]);
        assert_eq!(ds.labels.as_deref(), Some(&[0u8, 1][..]));
        assert!(ds.source.contains("first 2 of 3"));
        let same = small().limit(10);
        assert_eq!(same, small());
        assert_eq!(small().limit(0).n, 1);
    }

    #[test]
    fn rejects_inconsistent_sizes() {
        let e = Dataset::new(vec![0.0; 5], 3, 2, vec![2], None, "s").unwrap_err();
        assert!(e.to_string().contains("5 values"), "{e}");
        let e = Dataset::new(vec![0.0; 6], 3, 2, vec![3], None, "s").unwrap_err();
        assert!(e.to_string().contains("item shape"), "{e}");
        let e = Dataset::new(vec![0.0; 6], 3, 2, vec![2], Some(vec![0; 2]), "s").unwrap_err();
        assert!(e.to_string().contains("2 labels for 3 rows"), "{e}");
        assert!(Dataset::new(vec![], 0, 2, vec![2], None, "s").is_err());
        assert!(Dataset::new(vec![], 3, 0, vec![0], None, "s").is_err());
    }

    #[test]
    fn names_first_non_finite_value() {
        let mut v = vec![0.0f32; 12];
        v[7] = f32::NAN;
        v[9] = f32::INFINITY;
        let e = Dataset::new(v, 4, 3, vec![1, 3], None, "s").unwrap_err();
        assert!(e.to_string().contains("row 2, column 1"), "{e}");
    }
}
