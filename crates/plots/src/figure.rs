//! The figure description: one `Figure` of lines with bands, point clouds,
//! polyline groups and an optional heatmap, as plain data that `render`
//! checks, prepares and draws.

/// A line (`mid`) with a shaded band `lo..hi` around it. Where `lo` and `hi`
/// equal `mid` no band is drawn.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Band {
    pub label: String,
    pub x: Vec<f64>,
    pub mid: Vec<f64>,
    pub lo: Vec<f64>,
    pub hi: Vec<f64>,
}

/// A point cloud, e.g. 2-D samples.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scatter {
    pub label: String,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
}

/// A group of polylines drawn in one colour with one legend entry, e.g. many
/// 2-D sampling trajectories, or (with `arrows`) a vector field drawn as
/// segments [tail, head] with an arrowhead at each head.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lines {
    pub label: String,
    /// Each polyline as (x, y) points in drawing order (x need not be sorted).
    pub paths: Vec<Vec<(f64, f64)>>,
    /// Draw an arrowhead at the last point of every path.
    pub arrows: bool,
}

/// A 2-D histogram drawn as filled cells beneath everything else, shaded
/// light (few counts) to dark (the maximum); cells with a zero count are
/// left undrawn. Bin edges are in data coordinates (on a log axis they must
/// all be positive), and the axis ranges always include the outer edges.
/// `histogram2d`, `linear_edges` and `log_edges` build the pieces.
///
/// With a non-empty label the legend gets an entry with a shade ramp, the
/// label and the maximum count.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Heatmap {
    pub label: String,
    /// `nx + 1` strictly increasing, finite bin edges along x.
    pub x_edges: Vec<f64>,
    /// `ny + 1` strictly increasing, finite bin edges along y.
    pub y_edges: Vec<f64>,
    /// `ny * nx` finite, non-negative counts, row by row:
    /// `counts[iy * nx + ix]` is the cell `x_edges[ix]..x_edges[ix + 1]`,
    /// `y_edges[iy]..y_edges[iy + 1]`.
    pub counts: Vec<f64>,
    /// Shade by `ln(1 + count)` instead of `count`, so that sparse cells stay
    /// visible next to a dense peak.
    pub log_counts: bool,
}

/// One chart. With `reverse_x` the x axis decreases left to right (diffusion
/// plots show σ from large to small). With `equal_aspect` one data unit has
/// the same length on screen on both axes (the narrower range is widened;
/// on a log axis the unit is a decade).
///
/// Colours follow one palette in the order bands, line groups, point clouds;
/// the heatmap (if any) is drawn first, beneath the grid, and line groups are
/// drawn on top of everything else. Series with an empty label get no legend
/// entry.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Figure {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub log_x: bool,
    pub log_y: bool,
    pub reverse_x: bool,
    pub series: Vec<Band>,
    pub points: Vec<Scatter>,
    pub lines: Vec<Lines>,
    pub equal_aspect: bool,
    pub heatmap: Option<Heatmap>,
    /// Show only this (x range, y range) of linear axes: lines are clipped
    /// at its edges and points outside it are not drawn (the caller says so).
    pub view: Option<[(f64, f64); 2]>,
}
