//! Run records on disk: tables (Parquet + CSV), JSON documents and NPY arrays.
//!
//! Every writer goes through [`atomic_write`], so a reader never sees a
//! half-written file and a failed write leaves the previous file in place.

mod arrays;
mod atomic;
pub mod cleanup;
mod csv;
mod error;
mod folder;
mod frame;
mod json;
mod npy;
mod npz;
mod parquet;
mod stream;
mod table;

use std::path::{Path, PathBuf};

pub use arrays::{ArrayStream, Dtype, Element, npy_header};
pub use atomic::atomic_write;
pub use csv::write_csv;
pub use error::RecordsError;
pub use folder::replace_folder;
pub use json::write_json;
pub use npy::write_npy;
pub use npz::{NpzArray, write_npz_f64};
pub use parquet::{read_parquet, write_parquet};
pub use stream::TableStream;
pub use table::{Column, Table};

/// Writes `dir/stem.parquet` (exact, for analysis) and `dir/stem.csv` (for
/// eyes and spreadsheets); returns both paths in that order.
pub fn write_table(table: &Table, dir: &Path, stem: &str) -> Result<Vec<PathBuf>, RecordsError> {
    let parquet = dir.join(format!("{stem}.parquet"));
    let csv = dir.join(format!("{stem}.csv"));
    write_parquet(table, &parquet)?;
    write_csv(table, &csv)?;
    Ok(vec![parquet, csv])
}
