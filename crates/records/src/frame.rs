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
                Column::F64(v) => polars::prelude::Column::new(name.into(), v.as_slice()),
                Column::I64(v) => polars::prelude::Column::new(name.into(), v.as_slice()),
                Column::Str(v) => polars::prelude::Column::new(name.into(), v.as_slice()),
            })
            .collect();
        DataFrame::new(self.len(), columns).map_err(|e| RecordsError::polars(None, e))
    }

    /// Reads Float64, Int64 and String columns; any other dtype, or a null
    /// value (tables have none), is a schema error naming the column.
    pub fn from_frame(df: &DataFrame) -> Result<Table, RecordsError> {
        let mut table = Table::new();
        for col in df.columns() {
            let name = col.name().as_str();
            // Rejecting nulls up front makes the no-null iterators below exact.
            if col.null_count() > 0 {
                return Err(RecordsError::Schema(format!(
                    "column {name:?} has {} null values",
                    col.null_count()
                )));
            }
            let unexpected = |e| RecordsError::polars(None, e);
            let converted = match col.dtype() {
                DataType::Float64 => {
                    Column::F64(col.f64().map_err(unexpected)?.no_null_iter().collect())
                }
                DataType::Int64 => {
                    Column::I64(col.i64().map_err(unexpected)?.no_null_iter().collect())
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
                        "column {name:?} has unsupported dtype {other} (want f64, i64 or str)"
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
    fn unsupported_dtype_names_column() {
        let df = DataFrame::new(
            2,
            vec![polars::prelude::Column::new(
                "flag".into(),
                [true, false].as_slice(),
            )],
        )
        .unwrap();
        let msg = Table::from_frame(&df).unwrap_err().to_string();
        assert!(msg.contains("\"flag\""), "{msg}");
    }
}
