//! A `[[data]]` table once loaded.

use geotraj_data::Dataset;
use std::sync::Arc;

/// One `[[data]]` table, loaded.
pub struct LoadedData {
    pub label: String,
    pub data: Arc<Dataset>,
}

/// [channels, height, width] when a data set's items are images: 1 or 3
/// channels (a 2-D shape is one grey channel) whose product is `d`.
pub fn image_shape(item_shape: &[usize], d: usize) -> Option<[usize; 3]> {
    let shape = match *item_shape {
        [c, h, w] if c == 1 || c == 3 => [c, h, w],
        [h, w] => [1, h, w],
        _ => return None,
    };
    (shape[1] > 0 && shape[2] > 0 && shape.iter().product::<usize>() == d).then_some(shape)
}
