//! The one schema of each case table (steps, trajectories): who made the
//! rows (experiment, data, sampler label, solver method and every solver
//! parameter, null where the method has none), then every measure geotraj
//! has, null where this run did not measure it, with indices as integers
//! and flags as booleans. Tables of any runs therefore concatenate.

use geotraj_metrics::data_distance::{DATA_STEP_COLUMNS, DATA_TRAJECTORY_COLUMNS};
use geotraj_metrics::trajectory::{STEP_COLUMNS, TRAJECTORY_COLUMNS};
use geotraj_records::{Column, Table};
use geotraj_sampling::SolverParams;

/// Measures of the low-dimensional structure and the mean-shift identity check.
const LOWDIM_STEP: &[&str] = &["top2_error"];
const LOWDIM_TRAJECTORY: &[&str] = &["explained_1", "explained_2", "explained_3"];
const IDENTITY_STEP: &[&str] = &["identity_error"];
const IDENTITY_TRAJECTORY: &[&str] = &["max_identity_error"];
/// Measures whose values are row indices of the data set, or 0/1 flags.
const INDEX_COLUMNS: &[&str] = &["final_nearest"];
const FLAG_COLUMNS: &[&str] = &["memorised"];

/// The parameter columns of rows run with `rows[i]` (null where a solver
/// has no such parameter), in schema order.
pub fn param_columns(rows: &[SolverParams]) -> Vec<(&'static str, Column)> {
    let f = |get: fn(&SolverParams) -> Option<f64>| {
        Column::F64(rows.iter().map(|p| get(p).unwrap_or(f64::NAN)).collect())
    };
    let order = rows.iter().map(|p| p.order.map(|o| o as i64)).collect();
    vec![
        ("order", Column::OptI64(order)),
        ("gamma", f(|p| p.gamma)),
        ("mu", f(|p| p.mu)),
        ("s_churn", f(|p| p.s_churn)),
        ("s_min", f(|p| p.s_min)),
        ("s_max", f(|p| p.s_max)),
        ("s_noise", f(|p| p.s_noise)),
    ]
}

/// Who made the rows of a case table.
pub struct CaseLabels<'a> {
    pub experiment: &'a str,
    pub data: &'a str,
    /// The sampler's label (`heun-18`, or its `name`).
    pub sampler: &'a str,
    /// The method (`Solver::name`, or what an analysed file says).
    pub solver: &'a str,
    pub params: SolverParams,
    pub steps: usize,
    pub nfe: usize,
}

/// The kinds of case table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseTable {
    Steps,
    Trajectories,
}

impl CaseTable {
    /// The measure columns after the row keys (trajectory, step, sigma).
    pub fn measures(self) -> Vec<&'static str> {
        let parts: [&[&str]; 4] = match self {
            CaseTable::Steps => [STEP_COLUMNS, DATA_STEP_COLUMNS, LOWDIM_STEP, IDENTITY_STEP],
            CaseTable::Trajectories => [
                TRAJECTORY_COLUMNS,
                DATA_TRAJECTORY_COLUMNS,
                LOWDIM_TRAJECTORY,
                IDENTITY_TRAJECTORY,
            ],
        };
        parts.concat()
    }

    fn keys(self) -> &'static [&'static str] {
        match self {
            CaseTable::Steps => &["trajectory", "step", "sigma"],
            CaseTable::Trajectories => &["trajectory"],
        }
    }
}

/// A measures table in the schema of its kind: the case's columns first,
/// then its row keys and every measure, missing ones as nulls.
pub fn with_case(labels: &CaseLabels, kind: CaseTable, measured: Table) -> Table {
    let rows = measured.len();
    let text = |s: &str| Column::Str(vec![s.to_string(); rows]);
    let mut t = Table::new();
    t.push("experiment", text(labels.experiment));
    t.push("data", text(labels.data));
    t.push("sampler", text(labels.sampler));
    t.push("solver", text(labels.solver));
    for (name, col) in param_columns(&vec![labels.params; rows]) {
        t.push(name, col);
    }
    t.push("steps", Column::I64(vec![labels.steps as i64; rows]));
    t.push("nfe", Column::I64(vec![labels.nfe as i64; rows]));
    for &name in kind.keys() {
        if let Some(col) = measured.column(name) {
            t.push(name, col.clone());
        }
    }
    for name in kind.measures() {
        let values = match measured.column(name) {
            Some(Column::F64(v)) => v.clone(),
            Some(other) => {
                t.push(name, other.clone());
                continue;
            }
            None => vec![f64::NAN; rows],
        };
        t.push(name, typed(name, values));
    }
    t
}

/// An f64 measure column as its type: indices as integers, flags as
/// booleans (NaN: null).
fn typed(name: &str, values: Vec<f64>) -> Column {
    let defined = |v: f64| (!v.is_nan()).then_some(v);
    if INDEX_COLUMNS.contains(&name) {
        Column::OptI64(
            values
                .into_iter()
                .map(|v| defined(v).map(|v| v as i64))
                .collect(),
        )
    } else if FLAG_COLUMNS.contains(&name) {
        Column::Bool(
            values
                .into_iter()
                .map(|v| defined(v).map(|v| v != 0.0))
                .collect(),
        )
    } else {
        Column::F64(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(params: SolverParams) -> CaseLabels<'static> {
        CaseLabels {
            experiment: "e",
            data: "d",
            sampler: "s",
            solver: "m",
            params,
            steps: 3,
            nfe: 5,
        }
    }

    #[test]
    fn every_kind_has_one_schema_whatever_was_measured() {
        let few = Table::new()
            .with_i64("trajectory", vec![0, 1])
            .with_f64("chord", vec![1.0, 2.0]);
        let more = few
            .clone()
            .with_f64("final_nearest", vec![4.0, f64::NAN])
            .with_f64("memorised", vec![1.0, 0.0]);
        let a = with_case(
            &labels(SolverParams::default()),
            CaseTable::Trajectories,
            few,
        );
        let ge = geotraj_sampling::Solver::GradientEstimation {
            gamma: 2.0,
            mu: 0.0,
        };
        let b = with_case(&labels(ge.params()), CaseTable::Trajectories, more);
        assert_eq!(a.names(), b.names());
        assert_eq!(a.names()[..4], ["experiment", "data", "sampler", "solver"]);
        assert_eq!(
            b.column("final_nearest"),
            Some(&Column::OptI64(vec![Some(4), None]))
        );
        assert_eq!(
            b.column("memorised"),
            Some(&Column::Bool(vec![Some(true), Some(false)]))
        );
        assert_eq!(a.column("memorised"), Some(&Column::Bool(vec![None, None])));
        assert_eq!(b.column("gamma"), Some(&Column::F64(vec![2.0, 2.0])));
        assert_eq!(b.column("order"), Some(&Column::OptI64(vec![None, None])));
        let mut both = a.clone();
        both.append(b).unwrap();
        assert_eq!(both.len(), 4);
    }
}
