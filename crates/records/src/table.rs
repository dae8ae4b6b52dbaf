use crate::RecordsError;

/// One named column of a [`Table`]. On disk (Parquet, CSV) a NaN of an
/// `F64` column and a `None` are null: "undefined at this row", which
/// notebooks' `mean()`/`avg()` skip; infinities stay values.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    F64(Vec<f64>),
    I64(Vec<i64>),
    /// Integers that may be undefined (an index not searched for).
    OptI64(Vec<Option<i64>>),
    /// Flags, which may be undefined.
    Bool(Vec<Option<bool>>),
    Str(Vec<String>),
}

impl Column {
    pub fn len(&self) -> usize {
        match self {
            Self::F64(v) => v.len(),
            Self::I64(v) => v.len(),
            Self::OptI64(v) => v.len(),
            Self::Bool(v) => v.len(),
            Self::Str(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Short kind name for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::F64(_) => "f64",
            Self::I64(_) => "i64",
            Self::OptI64(_) => "nullable i64",
            Self::Bool(_) => "bool",
            Self::Str(_) => "str",
        }
    }
}

/// Ordered named columns of equal length.
///
/// `push`/`with_*` never fail, so tables can be built in one expression; a
/// column of the wrong length (or a repeated name) is remembered instead, and
/// [`Table::check`], `append`, `to_frame` and every writer then return
/// [`RecordsError::Schema`] naming the first offending column.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    columns: Vec<(String, Column)>,
    defect: Option<String>,
}

impl Table {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_f64(mut self, name: &str, v: Vec<f64>) -> Self {
        self.push(name, Column::F64(v));
        self
    }

    pub fn with_i64(mut self, name: &str, v: Vec<i64>) -> Self {
        self.push(name, Column::I64(v));
        self
    }

    pub fn with_opt_i64(mut self, name: &str, v: Vec<Option<i64>>) -> Self {
        self.push(name, Column::OptI64(v));
        self
    }

    pub fn with_bool(mut self, name: &str, v: Vec<Option<bool>>) -> Self {
        self.push(name, Column::Bool(v));
        self
    }

    pub fn with_str(mut self, name: &str, v: Vec<String>) -> Self {
        self.push(name, Column::Str(v));
        self
    }

    /// Appends a column; see the type docs for how mismatches are reported.
    pub fn push(&mut self, name: &str, col: Column) {
        if self.defect.is_none() {
            if self.column(name).is_some() {
                self.defect = Some(format!("duplicate column {name:?}"));
            } else if let Some((first, c)) = self.columns.first()
                && c.len() != col.len()
            {
                self.defect = Some(format!(
                    "column {name:?} has {} rows but column {first:?} has {}",
                    col.len(),
                    c.len()
                ));
            }
        }
        self.columns.push((name.to_owned(), col));
    }

    /// Rows (the first column's length; 0 without columns).
    pub fn len(&self) -> usize {
        self.columns.first().map_or(0, |(_, c)| c.len())
    }

    /// No rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn names(&self) -> Vec<&str> {
        self.columns.iter().map(|(n, _)| n.as_str()).collect()
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }

    /// Iterates `(name, column)` in order.
    pub fn columns(&self) -> impl Iterator<Item = (&str, &Column)> {
        self.columns.iter().map(|(n, c)| (n.as_str(), c))
    }

    /// Errors with the first recorded length/name defect, if any.
    pub fn check(&self) -> Result<(), RecordsError> {
        match &self.defect {
            Some(msg) => Err(RecordsError::Schema(msg.clone())),
            None => Ok(()),
        }
    }

    /// Row-wise concatenation. Both tables must have the same column names,
    /// order and kinds; a table without columns adopts `other` whole, so an
    /// empty `Table::new()` can accumulate parts.
    pub fn append(&mut self, other: Table) -> Result<(), RecordsError> {
        self.check()?;
        other.check()?;
        if self.columns.is_empty() {
            *self = other;
            return Ok(());
        }
        if self.names() != other.names() {
            return Err(RecordsError::Schema(format!(
                "cannot append columns {:?} to columns {:?}",
                other.names(),
                self.names()
            )));
        }
        // Check every kind before touching anything, so a failure leaves `self` intact.
        for ((name, a), (_, b)) in self.columns.iter().zip(&other.columns) {
            if a.kind() != b.kind() {
                return Err(RecordsError::Schema(format!(
                    "column {name:?} is {} but the appended one is {}",
                    a.kind(),
                    b.kind()
                )));
            }
        }
        for ((_, a), (_, b)) in self.columns.iter_mut().zip(other.columns) {
            match (a, b) {
                (Column::F64(a), Column::F64(b)) => a.extend(b),
                (Column::I64(a), Column::I64(b)) => a.extend(b),
                (Column::OptI64(a), Column::OptI64(b)) => a.extend(b),
                (Column::Bool(a), Column::Bool(b)) => a.extend(b),
                (Column::Str(a), Column::Str(b)) => a.extend(b),
                _ => unreachable!("kinds checked above"),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn builder_keeps_order_and_rows() {
        let t = Table::new()
            .with_i64("step", vec![0, 1])
            .with_f64("sigma", vec![1.0, 0.5])
            .with_str("label", strs(&["a", "b"]));
        assert_eq!(t.names(), ["step", "sigma", "label"]);
        assert_eq!(t.len(), 2);
        assert!(!t.is_empty());
        assert_eq!(t.column("sigma"), Some(&Column::F64(vec![1.0, 0.5])));
        assert!(t.column("nope").is_none());
        assert!(t.check().is_ok());
        assert!(Table::new().is_empty());
    }

    #[test]
    fn append_concatenates_rows() {
        let mut all = Table::new();
        for k in 0..3 {
            let part = Table::new()
                .with_i64("k", vec![k, k])
                .with_f64("x", vec![k as f64, -(k as f64)])
                .with_str("s", strs(&["p", "q"]));
            all.append(part).unwrap();
        }
        assert_eq!(all.len(), 6);
        assert_eq!(all.column("k"), Some(&Column::I64(vec![0, 0, 1, 1, 2, 2])));
        assert_eq!(all.column("s").unwrap().len(), 6);
    }

    #[test]
    fn append_rejects_other_names_or_kinds() {
        let mut a = Table::new().with_i64("k", vec![1]).with_f64("x", vec![1.0]);
        let renamed = Table::new().with_i64("k", vec![2]).with_f64("y", vec![2.0]);
        assert!(matches!(a.append(renamed), Err(RecordsError::Schema(_))));
        let retyped = Table::new().with_i64("k", vec![2]).with_i64("x", vec![2]);
        let err = a.append(retyped).unwrap_err().to_string();
        assert!(err.contains("\"x\""), "{err}");
        // Failed appends leave the table as it was.
        assert_eq!(a.len(), 1);
        assert_eq!(a.column("k"), Some(&Column::I64(vec![1])));
    }

    #[test]
    fn length_mismatch_is_reported_not_panicked() {
        let t = Table::new()
            .with_f64("a", vec![1.0, 2.0])
            .with_i64("b", vec![1, 2, 3])
            .with_str("c", strs(&["x"]));
        let err = t.check().unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, RecordsError::Schema(_)));
        assert!(msg.contains("\"b\"") && msg.contains('3'), "{msg}");
        assert!(matches!(t.to_frame(), Err(RecordsError::Schema(_))));
        let mut ok = Table::new()
            .with_f64("a", vec![1.0, 2.0])
            .with_i64("b", vec![1, 2]);
        assert!(matches!(
            ok.clone().append(t.clone()),
            Err(RecordsError::Schema(_))
        ));
        assert!(ok.append(ok.clone()).is_ok());
    }

    #[test]
    fn duplicate_name_is_reported() {
        let t = Table::new()
            .with_f64("a", vec![1.0])
            .with_f64("a", vec![2.0]);
        let msg = t.check().unwrap_err().to_string();
        assert!(msg.contains("duplicate") && msg.contains("\"a\""), "{msg}");
    }
}
