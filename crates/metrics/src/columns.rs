//! The named columns a measure produces, and their assembly from
//! per-trajectory results.

/// Per-step columns (n x (steps + 1) each) and per-trajectory columns.
pub type Columns = (Vec<(&'static str, Vec<f64>)>, Vec<(&'static str, Vec<f64>)>);

/// Per-trajectory results (step columns, trajectory values) gathered into
/// named columns: step columns trajectory-major.
pub(crate) fn gather(
    each: &[(Vec<Vec<f64>>, Vec<f64>)],
    step_names: &[&'static str],
    traj_names: &[&'static str],
) -> Columns {
    let step = step_names
        .iter()
        .enumerate()
        .map(|(c, &name)| {
            (
                name,
                each.iter()
                    .flat_map(|(cols, _)| cols[c].iter().copied())
                    .collect(),
            )
        })
        .collect();
    let traj = traj_names
        .iter()
        .enumerate()
        .map(|(c, &name)| (name, each.iter().map(|(_, v)| v[c]).collect()))
        .collect();
    (step, traj)
}
