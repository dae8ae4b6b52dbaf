use std::fs::File;
use std::path::Path;

use polars::io::parquet::write::KeyValueMetadata;
use polars::prelude::{CompatLevel, ParquetReader, ParquetWriter, Schema, SchemaExt, SerReader};

use crate::frame::write_frame;
use crate::{RecordsError, Table};

/// Writes `table` as Parquet (zstd, polars' default), atomically. Values are
/// stored bit-exact (negative zero included); NaN is null.
pub fn write_parquet(table: &Table, path: &Path) -> Result<(), RecordsError> {
    write_frame(table, path, |w, df| {
        parquet_writer(w, df.schema()).finish(df).map(drop)
    })
}

/// A Parquet writer whose stored Arrow schema (which Arrow readers follow)
/// has strings as LargeUtf8: polars' own choice, Utf8View, is unknown to
/// pyarrow < 15 ("Unrecognized type: 24"). The column data is the same.
pub(crate) fn parquet_writer<W: std::io::Write>(w: W, schema: &Schema) -> ParquetWriter<W> {
    let arrow = schema.to_arrow(CompatLevel::oldest());
    let kv = polars_parquet::arrow::write::schema_to_metadata_key(&arrow);
    let meta = KeyValueMetadata::from_static(vec![(kv.key, kv.value.unwrap_or_default())]);
    ParquetWriter::new(w).with_key_value_metadata(Some(meta))
}

/// Reads a Parquet file of Float64 / Int64 / String columns.
pub fn read_parquet(path: &Path) -> Result<Table, RecordsError> {
    let file = File::open(path).map_err(|e| RecordsError::io(path, e))?;
    let df = ParquetReader::new(file)
        .finish()
        .map_err(|e| RecordsError::polars(Some(path), e))?;
    Table::from_frame(&df).map_err(|e| e.at(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Column;
    use tempfile::tempdir;

    fn bits(c: Option<&Column>) -> Vec<u64> {
        match c {
            Some(Column::F64(v)) => v.iter().map(|x| x.to_bits()).collect(),
            other => panic!("not f64: {other:?}"),
        }
    }

    #[test]
    fn round_trip_is_exact() {
        let floats = vec![
            0.0,
            -0.0,
            f64::MIN_POSITIVE,
            5e-324, // smallest subnormal
            -5e-324,
            f64::MAX,
            f64::MIN,
            1e300,
            std::f64::consts::PI,
            0.1 + 0.2,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        let n = floats.len();
        let ints: Vec<i64> = [i64::MIN, i64::MAX, 0, -1, 1]
            .iter()
            .copied()
            .cycle()
            .take(n)
            .collect();
        let strs: Vec<String> = [
            "",
            "σ_t → 0",
            "日本語",
            "emoji 🦀",
            "comma, \"quote\"\nline",
        ]
        .iter()
        .cycle()
        .take(n)
        .map(|s| s.to_string())
        .collect();
        let table = Table::new()
            .with_f64("x", floats)
            .with_i64("n", ints.clone())
            .with_str("label", strs.clone());

        let tmp = tempdir().unwrap();
        let path = tmp.path().join("t.parquet");
        write_parquet(&table, &path).unwrap();
        let back = read_parquet(&path).unwrap();
        assert_eq!(back.names(), ["x", "n", "label"]);
        assert_eq!(bits(back.column("x")), bits(table.column("x")));
        // NaN (undefined) is stored as null and read back as NaN.
        let nan =
            Table::new().with_f64("x", vec![-f64::NAN, f64::from_bits(0x7ff8_0000_dead_beef)]);
        write_parquet(&nan, &path).unwrap();
        let Some(Column::F64(x)) = read_parquet(&path).unwrap().column("x").cloned() else {
            panic!("x")
        };
        assert!(x.iter().all(|v| v.is_nan()));
        assert_eq!(back.column("n"), Some(&Column::I64(ints)));
        assert_eq!(back.column("label"), Some(&Column::Str(strs)));
    }

    #[test]
    fn empty_table_round_trips() {
        let table = Table::new()
            .with_f64("x", vec![])
            .with_i64("n", vec![])
            .with_str("s", vec![]);
        let tmp = tempdir().unwrap();
        let path = tmp.path().join("e.parquet");
        write_parquet(&table, &path).unwrap();
        assert_eq!(read_parquet(&path).unwrap(), table);
    }

    #[test]
    fn ragged_table_is_schema_error_and_writes_nothing() {
        let table = Table::new()
            .with_f64("x", vec![1.0])
            .with_f64("y", vec![1.0, 2.0]);
        let tmp = tempdir().unwrap();
        let path = tmp.path().join("r.parquet");
        let err = write_parquet(&table, &path).unwrap_err();
        assert!(matches!(err, RecordsError::Schema(_)));
        let msg = err.to_string();
        assert!(msg.contains("r.parquet") && msg.contains("\"y\""), "{msg}");
        assert!(!path.exists());
    }

    #[test]
    fn read_errors_name_the_file() {
        let tmp = tempdir().unwrap();
        let missing = tmp.path().join("missing.parquet");
        assert!(
            read_parquet(&missing)
                .unwrap_err()
                .to_string()
                .contains("missing.parquet")
        );
        let junk = tmp.path().join("junk.parquet");
        std::fs::write(&junk, b"not parquet").unwrap();
        let err = read_parquet(&junk).unwrap_err();
        assert!(matches!(err, RecordsError::Polars { path: Some(_), .. }));
        assert!(err.to_string().contains("junk.parquet"));
    }
}
