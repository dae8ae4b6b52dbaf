//! A `[[data]]` table once loaded.

use geotraj_data::Dataset;
use std::sync::Arc;

/// One `[[data]]` table, loaded.
pub struct LoadedData {
    pub label: String,
    pub data: Arc<Dataset>,
}
