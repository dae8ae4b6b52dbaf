//! The answer of a nearest-neighbour search over a data set, shared by the
//! search (in denoise, on a burn device) and the measures built on it.

/// The nearest and second-nearest rows of a data set to one query, with
/// exact Euclidean distances; ties go to the lower index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nearest {
    pub i1: usize,
    pub d1: f64,
    /// `usize::MAX` (and `d2` infinite) when the data set has one row.
    pub i2: usize,
    pub d2: f64,
}
