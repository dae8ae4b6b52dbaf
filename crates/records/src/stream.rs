//! A table written batch by batch: each appended batch becomes a Parquet row
//! group and a run of CSV lines, so a run never holds all its rows. Both
//! files grow under temporary names and appear only when `finish` renames
//! them; dropping an unfinished stream removes the temporaries.

use std::fs::{self, File, OpenOptions};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use polars::io::csv::write::BatchedWriter as CsvBatched;
use polars::io::parquet::write::BatchedWriter as ParquetBatched;
use polars::prelude::{CsvWriter, DataFrame, Schema, SerWriter};

use crate::atomic::temp_sibling;
use crate::{RecordsError, Table};

struct Open {
    schema: Schema,
    names: Vec<String>,
    parquet: ParquetBatched<BufWriter<File>>,
    csv: CsvBatched<BufWriter<File>>,
}

/// `dir/stem.parquet` and `dir/stem.csv`, filled by [`TableStream::append`].
pub struct TableStream {
    targets: [PathBuf; 2],
    temps: [PathBuf; 2],
    open: Option<Open>,
    rows: usize,
    finished: bool,
}

impl TableStream {
    /// Nothing is created until the first batch fixes the schema.
    pub fn new(dir: &Path, stem: &str) -> Self {
        let targets = [
            dir.join(format!("{stem}.parquet")),
            dir.join(format!("{stem}.csv")),
        ];
        let temps = targets.clone().map(|p| {
            let name = p.file_name().expect("stem names a file").to_owned();
            temp_sibling(&p, &name)
        });
        Self {
            targets,
            temps,
            open: None,
            rows: 0,
            finished: false,
        }
    }

    /// Rows appended so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Appends one batch; its columns must match the first batch's names and types.
    pub fn append(&mut self, table: &Table) -> Result<(), RecordsError> {
        let df = table.to_frame().map_err(|e| e.at(&self.targets[0]))?;
        if self.open.is_none() {
            self.open = Some(self.start(&df)?);
        }
        let open = self.open.as_mut().expect("opened above");
        if df.schema().as_ref() != &open.schema {
            let got: Vec<String> = table.names().iter().map(|s| s.to_string()).collect();
            return Err(RecordsError::Schema(format!(
                "{}: a batch with columns {got:?} does not match the first batch's {:?}",
                self.targets[0].display(),
                open.names
            )));
        }
        // to_frame builds one chunk per column, as write_batch requires.
        open.parquet
            .write_batch(&df)
            .map_err(|e| RecordsError::polars(Some(&self.targets[0]), e))?;
        open.csv
            .write_batch(&df)
            .map_err(|e| RecordsError::polars(Some(&self.targets[1]), e))?;
        self.rows += table.len();
        Ok(())
    }

    fn start(&self, df: &DataFrame) -> Result<Open, RecordsError> {
        let schema = df.schema().as_ref().clone();
        let create = |i: usize| -> Result<BufWriter<File>, RecordsError> {
            if let Some(dir) = self.targets[i].parent() {
                fs::create_dir_all(dir).map_err(|e| RecordsError::io(&self.targets[i], e))?;
            }
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&self.temps[i])
                .map(BufWriter::new)
                .map_err(|e| RecordsError::io(&self.targets[i], e))
        };
        let parquet = crate::parquet::parquet_writer(create(0)?, &schema)
            .batched(&schema)
            .map_err(|e| RecordsError::polars(Some(&self.targets[0]), e))?;
        let csv = CsvWriter::new(create(1)?)
            .include_header(true)
            .batched(&schema)
            .map_err(|e| RecordsError::polars(Some(&self.targets[1]), e))?;
        Ok(Open {
            names: schema.iter_names().map(|n| n.to_string()).collect(),
            schema,
            parquet,
            csv,
        })
    }

    /// Closes both files and renames them into place; returns their paths.
    /// A stream that got no batch is an error (there is no schema to write).
    pub fn finish(mut self) -> Result<Vec<PathBuf>, RecordsError> {
        let Some(mut open) = self.open.take() else {
            return Err(RecordsError::Schema(format!(
                "{}: no rows were appended",
                self.targets[0].display()
            )));
        };
        open.parquet
            .finish()
            .map_err(|e| RecordsError::polars(Some(&self.targets[0]), e))?;
        open.csv
            .finish()
            .map_err(|e| RecordsError::polars(Some(&self.targets[1]), e))?;
        drop(open); // flushes and closes the files
        for (tmp, target) in self.temps.iter().zip(&self.targets) {
            fs::rename(tmp, target).map_err(|e| RecordsError::io(target, e))?;
        }
        self.finished = true;
        Ok(self.targets.to_vec())
    }
}

impl Drop for TableStream {
    fn drop(&mut self) {
        if !self.finished {
            self.open = None;
            for tmp in &self.temps {
                let _ = fs::remove_file(tmp);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Column, read_parquet};
    use tempfile::tempdir;

    fn batch(start: i64, n: i64) -> Table {
        Table::new()
            .with_i64("i", (start..start + n).collect())
            .with_f64("x", (start..start + n).map(|v| v as f64 * 0.5).collect())
            .with_str("s", vec!["a,b".into(); n as usize])
    }

    #[test]
    fn batches_concatenate_in_both_files() {
        let tmp = tempdir().unwrap();
        let mut s = TableStream::new(tmp.path(), "t");
        for k in 0..3 {
            s.append(&batch(10 * k, 10)).unwrap();
        }
        assert_eq!(s.rows(), 30);
        assert!(
            !tmp.path().join("t.parquet").exists(),
            "visible before finish"
        );
        let paths = s.finish().unwrap();
        let back = read_parquet(&paths[0]).unwrap();
        assert_eq!(back.column("i"), Some(&Column::I64((0..30).collect())));
        let mut whole = batch(0, 10);
        whole.append(batch(10, 10)).unwrap();
        whole.append(batch(20, 10)).unwrap();
        assert_eq!(back, whole);
        let csv = fs::read_to_string(&paths[1]).unwrap();
        assert_eq!(csv.lines().count(), 31, "one header, then every row");
        assert!(csv.starts_with("i,x,s\n0,0.0,\"a,b\"\n"), "{csv}");
    }

    #[test]
    fn mismatched_batch_is_an_error_and_drop_leaves_nothing() {
        let tmp = tempdir().unwrap();
        {
            let mut s = TableStream::new(tmp.path(), "t");
            s.append(&batch(0, 4)).unwrap();
            let other = Table::new().with_i64("i", vec![1]);
            let msg = s.append(&other).unwrap_err().to_string();
            assert!(msg.contains("t.parquet") && msg.contains("\"x\""), "{msg}");
        }
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
        let empty = TableStream::new(tmp.path(), "e");
        assert!(empty.finish().is_err());
    }
}
