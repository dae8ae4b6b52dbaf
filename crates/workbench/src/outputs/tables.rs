//! Every table a run writes leads with the experiment's name (the case
//! tables get it in `execute::schema`), so the tables of many runs
//! concatenate: `pl.scan_parquet("notebooks-data/*/sweep.parquet")`.

use geotraj_records::{RecordsError, Table};
use std::path::{Path, PathBuf};

/// `dir/stem.parquet` and `dir/stem.csv` with an `experiment` column first.
pub fn write_table(
    experiment: &str,
    table: &Table,
    dir: &Path,
    stem: &str,
) -> Result<Vec<PathBuf>, RecordsError> {
    let mut t = Table::new().with_str("experiment", vec![experiment.to_string(); table.len()]);
    for (name, col) in table.columns() {
        t.push(name, col.clone());
    }
    geotraj_records::write_table(&t, dir, stem)
}
