//! Conversion between [`Table`] and a polars `DataFrame`.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::Path;

use polars::prelude::{DataFrame, DataType, PolarsResult};

use crate::{Column, RecordsError, Table, atomic_write};

/// Writes `table` atomically with a polars writer, keeping polars' own error
/// (atomic_write's closure can only return io errors).
pub(crate) fn write_frame(
    table: &Table,
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>, &mut DataFrame) -> PolarsResult<()>,
) -> Result<(), RecordsError> {
    let mut df = table.to_frame().map_err(|e| e.at(path))?;
    let mut polars_err = None;
    let result = atomic_write(path, |w| {
        write(w, &mut df).map_err(|e| {
            polars_err = Some(e);
            io::Error::other("polars writer failed")
        })
    });
    match polars_err {
        Some(e) => Err(RecordsError::polars(Some(path), e)),
        None => result,
    }
}

impl Table {
    /// Builds a polars frame (copies the data); fails on a recorded defect.
    pub fn to_frame(&self) -> Result<DataFrame, RecordsError> {
        self.check()?;
        let columns = self
            .columns()
            .map(|(name, col)| match col {
                Column::F64(v) => {
                    let nullable: Vec<Option<f64>> =
                        v.iter().map(|&x| (!x.is_nan()).then_some(x)).collect();
                    polars::prelude::Column::new(name.into(), nullable)
                }
                Column::I64(v) => polars::prelude::Column::new(name.into(), v.as_slice()),
                Column::OptI64(v) => polars::prelude::Column::new(name.into(), v.as_slice()),
                Column::Bool(v) => polars::prelude::Column::new(name.into(), v.as_slice()),
                Column::Str(v) => polars::prelude::Column::new(name.into(), v.as_slice()),
            })
            .collect();
        DataFrame::new(self.len(), columns).map_err(|e| RecordsError::polars(None, e))
    }

    /// Reads Float64 (null as NaN), Int64 (`I64` without nulls, else
    /// `OptI64`), Boolean and String columns; any other dtype, or a null
    /// string, is a schema error naming the column.
    pub fn from_frame(df: &DataFrame) -> Result<Table, RecordsError> {
        let mut table = Table::new();
        for col in df.columns() {
            let name = col.name().as_str();
            let nulls = col.null_count();
            let unexpected = |e| RecordsError::polars(None, e);
            let converted = match col.dtype() {
                DataType::Float64 => Column::F64(
                    col.f64()
                        .map_err(unexpected)?
                        .iter()
                        .map(|x| x.unwrap_or(f64::NAN))
                        .collect(),
                ),
                DataType::Int64 if nulls == 0 => {
                    Column::I64(col.i64().map_err(unexpected)?.no_null_iter().collect())
                }
                DataType::Int64 => Column::OptI64(col.i64().map_err(unexpected)?.iter().collect()),
                DataType::Boolean => Column::Bool(col.bool().map_err(unexpected)?.iter().collect()),
                DataType::String if nulls > 0 => {
                    return Err(RecordsError::Schema(format!(
                        "column {name:?} has {nulls} null strings"
                    )));
                }
                DataType::String => Column::Str(
                    col.str()
                        .map_err(unexpected)?
                        .no_null_iter()
                        .map(str::to_owned)
                        .collect(),
                ),
                other => {
                    return Err(RecordsError::Schema(format!(
                        "column {name:?} has unsupported dtype {other} (want f64, i64, bool or str)"
                    )));
                }
            };
            table.push(name, converted);
        }
        table.check()?;
        Ok(table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_round_trip() {
        let t = Table::new()
            .with_f64("x", vec![0.25, -1.0])
            .with_i64("n", vec![7, -7])
            .with_str("s", vec!["α".into(), "b".into()]);
        let df = t.to_frame().unwrap();
        assert_eq!(df.height(), 2);
        assert_eq!(Table::from_frame(&df).unwrap(), t);
    }

    #[test]
    fn nullable_kinds_round_trip_and_nan_is_null() {
        let t = Table::new()
            .with_f64("x", vec![f64::NAN, 1.0, f64::INFINITY])
            .with_opt_i64("i", vec![None, Some(3), Some(-1)])
            .with_bool("b", vec![Some(true), None, Some(false)]);
        let df = t.to_frame().unwrap();
        assert_eq!(df.column("x").unwrap().null_count(), 1);
        assert_eq!(df.column("i").unwrap().null_count(), 1);
        let back = Table::from_frame(&df).unwrap();
        assert_eq!(back.column("i"), t.column("i"));
        assert_eq!(back.column("b"), t.column("b"));
        let Some(Column::F64(x)) = back.column("x") else {
            panic!("x")
        };
        assert!(x[0].is_nan() && x[1] == 1.0 && x[2] == f64::INFINITY);
    }

    #[test]
    fn unsupported_dtype_names_column() {
        let df = DataFrame::new(
            2,
            vec![polars::prelude::Column::new(
                "flag".into(),
                [1i32, 2].as_slice(),
            )],
        )
        .unwrap();
        let msg = Table::from_frame(&df).unwrap_err().to_string();
        assert!(msg.contains("\"flag\""), "{msg}");
    }
}
