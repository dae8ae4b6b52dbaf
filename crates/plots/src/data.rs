//! Turns a `Figure` into drawable pieces: validated lengths, NaN-split line
//! segments, band polygons, polyline runs, heatmap cells and padded axis ranges. Everything here is plain
//! arithmetic so the drawing code never sees a value it cannot place.

use crate::PlotError;
use crate::figure::{Band, Figure, Heatmap, Lines, Scatter};

/// One band series, ready to draw.
pub(crate) struct BandParts {
    pub label: String,
    /// Runs of consecutive drawable mid points; an unusable value breaks the line.
    pub lines: Vec<Vec<(f64, f64)>>,
    /// Closed outlines (upper edge forward, lower edge back) of each run whose
    /// lo/hi actually differ from each other.
    pub polygons: Vec<Vec<(f64, f64)>>,
}

/// One point cloud, ready to draw.
pub(crate) struct CloudParts {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// One group of polylines, ready to draw.
pub(crate) struct LinesParts {
    pub label: String,
    /// Runs of consecutive drawable points over all paths of the group; an
    /// unusable point breaks its path, and a run never spans two paths.
    pub runs: Vec<Vec<(f64, f64)>>,
    /// Indices into `runs` of the runs that end at their path's last point,
    /// i.e. where an arrowhead goes. Empty unless the group has `arrows`; a
    /// path whose last point is unusable has no head.
    pub heads: Vec<usize>,
}

/// One non-empty heatmap cell: its x and y intervals (data coordinates) and
/// its shade in (0, 1], 1 being the maximum count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct HeatCell {
    pub x: (f64, f64),
    pub y: (f64, f64),
    pub shade: f64,
}

/// The heatmap, validated and ready to draw.
pub(crate) struct HeatParts {
    pub label: String,
    /// The cells with a positive count; empty cells are not drawn.
    pub cells: Vec<HeatCell>,
    /// The largest count (0 when every cell is empty).
    pub max: f64,
    pub log_counts: bool,
}

/// The lightest shade a non-empty cell gets, so that a single count still
/// stands out from the white background.
pub(crate) const MIN_SHADE: f64 = 0.12;

/// The whole figure, ready to draw. Ranges are padded and in increasing order;
/// reversal is applied by the drawing code.
pub(crate) struct Prepared {
    pub bands: Vec<BandParts>,
    pub clouds: Vec<CloudParts>,
    pub lines: Vec<LinesParts>,
    pub heat: Option<HeatParts>,
    pub x: (f64, f64),
    pub y: (f64, f64),
}

/// A value can be placed on an axis: finite, and positive on a log axis.
fn usable(v: f64, log: bool) -> bool {
    v.is_finite() && (!log || v > 0.0)
}

/// Running min/max over the values that will actually be drawn.
#[derive(Clone, Copy)]
struct Extent {
    lo: f64,
    hi: f64,
}

impl Extent {
    const EMPTY: Extent = Extent {
        lo: f64::INFINITY,
        hi: f64::NEG_INFINITY,
    };

    fn add(&mut self, v: f64) {
        self.lo = self.lo.min(v);
        self.hi = self.hi.max(v);
    }

    fn is_empty(&self) -> bool {
        self.lo > self.hi
    }
}

fn check_lengths(name: &str, lens: &[(&str, usize)]) -> Result<(), PlotError> {
    let (first_name, first) = lens[0];
    for &(what, n) in &lens[1..] {
        if n != first {
            return Err(PlotError::Data(format!(
                "series '{name}': {what} has {n} values but {first_name} has {first}"
            )));
        }
    }
    Ok(())
}

/// Splits a band into line runs and band polygons, widening the extents with
/// every value that is drawn.
fn band_parts(b: &Band, fig: &Figure, xe: &mut Extent, ye: &mut Extent) -> BandParts {
    let (lx, ly) = (fig.log_x, fig.log_y);
    let mut lines = Vec::new();
    let mut line: Vec<(f64, f64)> = Vec::new();
    let mut polygons = Vec::new();
    let mut run: Vec<(f64, f64, f64)> = Vec::new();

    let flush_run = |run: &mut Vec<(f64, f64, f64)>, polygons: &mut Vec<Vec<(f64, f64)>>| {
        // A single point has no area, and equal edges mean "no band".
        if run.len() >= 2 && run.iter().any(|&(_, lo, hi)| lo != hi) {
            let upper = run.iter().map(|&(x, _, hi)| (x, hi));
            let lower = run.iter().rev().map(|&(x, lo, _)| (x, lo));
            polygons.push(upper.chain(lower).collect());
        }
        run.clear();
    };

    for i in 0..b.x.len() {
        let x = b.x[i];
        let x_ok = usable(x, lx);
        if x_ok && usable(b.mid[i], ly) {
            line.push((x, b.mid[i]));
            xe.add(x);
            ye.add(b.mid[i]);
        } else if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        let (lo, hi) = (b.lo[i], b.hi[i]);
        if x_ok && usable(lo, ly) && usable(hi, ly) {
            run.push((x, lo, hi));
            xe.add(x);
            ye.add(lo);
            ye.add(hi);
        } else {
            flush_run(&mut run, &mut polygons);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    flush_run(&mut run, &mut polygons);

    BandParts {
        label: b.label.clone(),
        lines,
        polygons,
    }
}

fn cloud_parts(s: &Scatter, fig: &Figure, xe: &mut Extent, ye: &mut Extent) -> CloudParts {
    let points: Vec<(f64, f64)> =
        s.x.iter()
            .zip(&s.y)
            .map(|(&x, &y)| (x, y))
            .filter(|&(x, y)| usable(x, fig.log_x) && usable(y, fig.log_y))
            .collect();
    for &(x, y) in &points {
        xe.add(x);
        ye.add(y);
    }
    CloudParts {
        label: s.label.clone(),
        points,
    }
}

/// Splits every path of a group into runs of drawable points, widening the
/// extents with each of them.
fn lines_parts(l: &Lines, fig: &Figure, xe: &mut Extent, ye: &mut Extent) -> LinesParts {
    let mut runs = Vec::new();
    let mut heads = Vec::new();
    for path in &l.paths {
        let mut run: Vec<(f64, f64)> = Vec::new();
        for &(x, y) in path {
            if usable(x, fig.log_x) && usable(y, fig.log_y) {
                run.push((x, y));
                xe.add(x);
                ye.add(y);
            } else if !run.is_empty() {
                runs.push(std::mem::take(&mut run));
            }
        }
        // A non-empty run here ends at the path's last point: that is the head.
        if !run.is_empty() {
            if l.arrows {
                heads.push(runs.len());
            }
            runs.push(run);
        }
    }
    LinesParts {
        label: l.label.clone(),
        runs,
        heads,
    }
}

fn check_edges(label: &str, axis: &str, edges: &[f64], log: bool) -> Result<(), PlotError> {
    let fail = |what: String| {
        Err(PlotError::Data(format!(
            "heatmap '{label}': {axis}_edges{what}"
        )))
    };
    if edges.len() < 2 {
        return fail(format!(
            " has {} values; at least 2 (one bin) are needed",
            edges.len()
        ));
    }
    if let Some(i) = edges.iter().position(|v| !v.is_finite()) {
        return fail(format!("[{i}] is {}, not finite", edges[i]));
    }
    if let Some(i) = edges.windows(2).position(|w| w[0] >= w[1]) {
        return fail(format!(
            " are not strictly increasing: [{}] = {} follows [{i}] = {}",
            i + 1,
            edges[i + 1],
            edges[i]
        ));
    }
    if log && edges[0] <= 0.0 {
        return fail(format!(
            " start at {}, but the {axis} axis is logarithmic and needs edges > 0",
            edges[0]
        ));
    }
    Ok(())
}

/// Validates the heatmap and turns its non-empty cells into shaded
/// rectangles, widening the extents with its outer edges.
fn heat_parts(
    h: &Heatmap,
    fig: &Figure,
    xe: &mut Extent,
    ye: &mut Extent,
) -> Result<HeatParts, PlotError> {
    let label = &h.label;
    check_edges(label, "x", &h.x_edges, fig.log_x)?;
    check_edges(label, "y", &h.y_edges, fig.log_y)?;
    let (nx, ny) = (h.x_edges.len() - 1, h.y_edges.len() - 1);
    if nx.checked_mul(ny) != Some(h.counts.len()) {
        return Err(PlotError::Data(format!(
            "heatmap '{label}': counts has {} values but {nx} x bins by {ny} y bins need {}",
            h.counts.len(),
            nx as u128 * ny as u128
        )));
    }
    if let Some(i) = h.counts.iter().position(|c| !(c.is_finite() && *c >= 0.0)) {
        return Err(PlotError::Data(format!(
            "heatmap '{label}': counts[{i}] is {}; counts must be finite and non-negative",
            h.counts[i]
        )));
    }

    let max = h.counts.iter().copied().fold(0.0, f64::max);
    let scale = |c: f64| if h.log_counts { c.ln_1p() } else { c };
    let top = scale(max);
    let mut cells = Vec::new();
    for (k, &c) in h.counts.iter().enumerate() {
        if c > 0.0 {
            let (ix, iy) = (k % nx, k / nx);
            // c <= max, so the ratio is in (0, 1] (top > 0 as max >= c > 0).
            let t = (scale(c) / top).clamp(0.0, 1.0);
            cells.push(HeatCell {
                x: (h.x_edges[ix], h.x_edges[ix + 1]),
                y: (h.y_edges[iy], h.y_edges[iy + 1]),
                shade: MIN_SHADE + (1.0 - MIN_SHADE) * t,
            });
        }
    }
    for v in [h.x_edges[0], h.x_edges[nx]] {
        xe.add(v);
    }
    for v in [h.y_edges[0], h.y_edges[ny]] {
        ye.add(v);
    }
    Ok(HeatParts {
        label: label.clone(),
        cells,
        max,
        log_counts: h.log_counts,
    })
}

/// Pads an extent by 5% of its span on each side. On a log axis the padding
/// is multiplicative (computed in log10 space) so it looks even.
fn padded(e: Extent, log: bool, axis: &str) -> Result<(f64, f64), PlotError> {
    let (a, b) = if log {
        (e.lo.log10(), e.hi.log10())
    } else {
        (e.lo, e.hi)
    };
    let span = b - a;
    if !span.is_finite() {
        return Err(PlotError::Data(format!(
            "the {axis} values span [{}, {}], too wide to draw",
            e.lo, e.hi
        )));
    }
    let pad = if span > 0.0 {
        span * 0.05
    } else if log {
        // One value on a log axis: show half a decade either side.
        0.5
    } else if a != 0.0 {
        a.abs() * 0.1
    } else {
        1.0
    };
    let (lo, hi) = (a - pad, b + pad);
    let (lo, hi) = if log {
        (10f64.powf(lo), 10f64.powf(hi))
    } else {
        (lo, hi)
    };
    if lo.is_finite() && hi.is_finite() && lo < hi && (!log || lo > 0.0) {
        Ok((lo, hi))
    } else {
        // Padding pushed a bound out of range (values near the f64 limits):
        // fall back to the bare extent when it is still a proper interval.
        if e.lo < e.hi {
            Ok((e.lo, e.hi))
        } else {
            Err(PlotError::Data(format!(
                "the {axis} values around {} cannot be given a drawable range",
                e.lo
            )))
        }
    }
}

fn names(fig: &Figure) -> String {
    let names: Vec<String> = fig
        .series
        .iter()
        .map(|b| format!("'{}'", b.label))
        .chain(fig.points.iter().map(|s| format!("'{}'", s.label)))
        .chain(fig.lines.iter().map(|l| format!("'{}'", l.label)))
        .chain(fig.heatmap.iter().map(|h| format!("heatmap '{}'", h.label)))
        .collect();
    names.join(", ")
}

/// Validates the figure and builds everything the drawing code needs.
pub(crate) fn prepare(fig: &Figure) -> Result<Prepared, PlotError> {
    if fig.series.is_empty()
        && fig.points.is_empty()
        && fig.lines.is_empty()
        && fig.heatmap.is_none()
    {
        return Err(PlotError::Data(format!(
            "figure '{}' has no series, no point clouds, no lines and no heatmap",
            fig.title
        )));
    }
    // A valid heatmap always has a drawable extent; an invalid one is an
    // error whatever else the figure holds.
    let (mut xe, mut ye) = (Extent::EMPTY, Extent::EMPTY);
    let heat = fig
        .heatmap
        .as_ref()
        .map(|h| heat_parts(h, fig, &mut xe, &mut ye))
        .transpose()?;
    for b in &fig.series {
        check_lengths(
            &b.label,
            &[
                ("x", b.x.len()),
                ("mid", b.mid.len()),
                ("lo", b.lo.len()),
                ("hi", b.hi.len()),
            ],
        )?;
    }
    for s in &fig.points {
        check_lengths(&s.label, &[("x", s.x.len()), ("y", s.y.len())])?;
    }
    let all_empty = fig.series.iter().all(|b| b.x.is_empty())
        && fig.points.iter().all(|s| s.x.is_empty())
        && fig.lines.iter().all(|l| l.paths.iter().all(Vec::is_empty));
    if all_empty && heat.is_none() {
        return Err(PlotError::Data(format!(
            "figure '{}': every series is empty ({})",
            fig.title,
            names(fig)
        )));
    }

    let bands: Vec<BandParts> = fig
        .series
        .iter()
        .map(|b| band_parts(b, fig, &mut xe, &mut ye))
        .collect();
    let clouds: Vec<CloudParts> = fig
        .points
        .iter()
        .map(|s| cloud_parts(s, fig, &mut xe, &mut ye))
        .collect();
    let lines: Vec<LinesParts> = fig
        .lines
        .iter()
        .map(|l| lines_parts(l, fig, &mut xe, &mut ye))
        .collect();
    if xe.is_empty() || ye.is_empty() {
        let need = match (fig.log_x, fig.log_y) {
            (false, false) => "finite",
            _ => "finite (and positive on a log axis)",
        };
        return Err(PlotError::Data(format!(
            "figure '{}': no {need} values to draw in {}",
            fig.title,
            names(fig)
        )));
    }

    Ok(Prepared {
        bands,
        clouds,
        lines,
        heat,
        x: padded(xe, fig.log_x, "x")?,
        y: padded(ye, fig.log_y, "y")?,
    })
}

/// Widens the range whose data units are the shorter on screen so that one
/// unit spans the same number of pixels on both axes, keeping each range's
/// centre. `px` is the plotting area in pixels (width, height). On a log
/// axis the unit is a decade (the arithmetic is done in log10 space). If the
/// widened range would not be drawable (values near the f64 limits) the
/// ranges are returned unchanged.
pub(crate) fn equal_aspect(
    x: (f64, f64),
    y: (f64, f64),
    log: (bool, bool),
    px: (f64, f64),
) -> ((f64, f64), (f64, f64)) {
    let to = |(lo, hi): (f64, f64), log: bool| {
        if log {
            (lo.log10(), hi.log10())
        } else {
            (lo, hi)
        }
    };
    let back = |(lo, hi): (f64, f64), log: bool| {
        if log {
            (10f64.powf(lo), 10f64.powf(hi))
        } else {
            (lo, hi)
        }
    };
    let (lx, ly) = (to(x, log.0), to(y, log.1));
    // Data units per pixel on each axis.
    let (ux, uy) = ((lx.1 - lx.0) / px.0, (ly.1 - ly.0) / px.1);
    let ok = |v: f64| v.is_finite() && v > 0.0;
    if !(ok(px.0) && ok(px.1) && ok(ux) && ok(uy)) || ux == uy {
        return (x, y);
    }
    let widen = |(lo, hi): (f64, f64), span: f64| {
        let mid = lo + (hi - lo) / 2.0;
        (mid - span / 2.0, mid + span / 2.0)
    };
    let (nx, ny) = if ux > uy {
        (x, back(widen(ly, ux * px.1), log.1))
    } else {
        (back(widen(lx, uy * px.0), log.0), y)
    };
    let drawable = |(lo, hi): (f64, f64), log: bool| {
        lo.is_finite() && hi.is_finite() && lo < hi && (!log || lo > 0.0)
    };
    if drawable(nx, log.0) && drawable(ny, log.1) {
        (nx, ny)
    } else {
        (x, y)
    }
}
