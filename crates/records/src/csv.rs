use std::path::Path;

use polars::prelude::{CsvWriter, SerWriter};

use crate::frame::write_frame;
use crate::{RecordsError, Table};

/// Writes `table` as CSV with a header row, atomically. Floats use polars'
/// default shortest round-trip formatting (no fixed precision), so parsing
/// the text gives back the same f64; infinities read `inf`, `-inf`, and
/// null (NaN: undefined) is an empty field. Strings are quoted only when needed.
pub fn write_csv(table: &Table, path: &Path) -> Result<(), RecordsError> {
    write_frame(table, path, |w, df| {
        CsvWriter::new(w).include_header(true).finish(df)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Column, write_table};
    use tempfile::tempdir;

    #[test]
    fn header_and_floats_round_trip_through_text() {
        let xs = vec![
            0.1 + 0.2,
            -0.0,
            5e-324,
            f64::MAX,
            -1.234_567_890_123_456_7e-200,
            std::f64::consts::E,
            1e21,
            123_456_789.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        let n = xs.len();
        let table = Table::new()
            .with_i64("step", (0..n as i64).map(|i| i - 3).collect())
            .with_f64("x", xs.clone())
            .with_str("label", vec!["plain".to_string(); n]);
        let tmp = tempdir().unwrap();
        let path = tmp.path().join("t.csv");
        write_csv(&table, &path).unwrap();

        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("step,x,label"));
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        assert_eq!(rows.len(), n);
        for (i, (row, &x)) in rows.iter().zip(&xs).enumerate() {
            assert_eq!(row[0].parse::<i64>().unwrap(), i as i64 - 3);
            if x.is_nan() {
                assert_eq!(row[1], "", "null is an empty field");
            } else {
                let parsed: f64 = row[1]
                    .parse()
                    .unwrap_or_else(|e| panic!("{:?}: {e}", row[1]));
                assert_eq!(parsed.to_bits(), x.to_bits(), "text {:?}", row[1]);
            }
            assert_eq!(row[2], "plain");
        }
        // The documented spellings of non-finite values.
        let tail: Vec<&str> = rows[n - 3..].iter().map(|r| r[1]).collect();
        assert_eq!(tail, ["", "inf", "-inf"]);
    }

    #[test]
    fn write_table_writes_both_formats() {
        let table = Table::new()
            .with_f64("x", vec![1.5, 2.5])
            .with_str("s", vec!["a,b".into(), "ü".into()]);
        let tmp = tempdir().unwrap();
        let dir = tmp.path().join("nested");
        let paths = write_table(&table, &dir, "summary").unwrap();
        assert_eq!(
            paths,
            [dir.join("summary.parquet"), dir.join("summary.csv")]
        );
        assert_eq!(crate::read_parquet(&paths[0]).unwrap(), table);
        let text = std::fs::read_to_string(&paths[1]).unwrap();
        assert_eq!(text, "x,s\n1.5,\"a,b\"\n2.5,ü\n");
        assert_eq!(table.column("x"), Some(&Column::F64(vec![1.5, 2.5])));
    }
}
