//! A `[sweep]` expanded to its cells: the cartesian product of its lists,
//! where `order`, `gamma` and `mu` multiply only the samplers that use them.

use crate::config::{ScheduleConfig, ScheduleKind, SweepConfig};
use geotraj_sampling::{Solver, SolverParams};

/// One cell of a sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub sampler: String,
    pub solver: Solver,
    pub schedule: ScheduleKind,
    pub steps: usize,
    pub order: Option<usize>,
    pub gamma: Option<f64>,
    pub mu: Option<f64>,
}

/// Whether solver `name` takes the parameter set in `p`.
fn uses(name: &str, p: SolverParams) -> bool {
    !matches!(Solver::new(name, &p), Err(e) if e.message.starts_with("not used"))
}

/// The values of one parameter list for `name`: the list where the solver
/// uses the parameter, otherwise a single "not set".
fn values<T: Copy>(
    name: &str,
    list: &Option<Vec<T>>,
    set: impl Fn(T) -> SolverParams,
) -> Vec<Option<T>> {
    match list {
        Some(l) if !l.is_empty() && uses(name, set(l[0])) => l.iter().map(|&v| Some(v)).collect(),
        _ => vec![None],
    }
}

/// Cells in table order: schedule, sampler, order, gamma, mu, then steps.
/// The config was validated, so every combination builds.
pub fn expand(sweep: &SweepConfig, base: &ScheduleConfig) -> Vec<Cell> {
    let schedules = sweep.schedule.clone().unwrap_or_else(|| vec![base.kind]);
    let mut cells = Vec::new();
    for &schedule in &schedules {
        for name in &sweep.sampler {
            let orders = values(name, &sweep.order, |o| SolverParams {
                order: Some(o),
                ..Default::default()
            });
            let gammas = values(name, &sweep.gamma, |g| SolverParams {
                gamma: Some(g),
                ..Default::default()
            });
            let mus = values(name, &sweep.mu, |m| SolverParams {
                mu: Some(m),
                ..Default::default()
            });
            for &order in &orders {
                for &gamma in &gammas {
                    for &mu in &mus {
                        let p = SolverParams {
                            order,
                            gamma,
                            mu,
                            ..Default::default()
                        };
                        let solver = Solver::new(name, &p).expect("validated sweep");
                        for &steps in &sweep.steps {
                            cells.push(Cell {
                                sampler: name.clone(),
                                solver,
                                schedule,
                                steps,
                                order,
                                gamma,
                                mu,
                            });
                        }
                    }
                }
            }
        }
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn config(sweep: &str) -> Result<Config, String> {
        Config::parse(&format!(
            "name = \"s\"\ntrajectories = 4\n[[data]]\nkind = \"two-moons\"\n\
             [schedule]\nkind = \"edm\"\n[sweep]\n{sweep}\n"
        ))
    }

    #[test]
    fn lists_expand_to_their_product_only_where_used() {
        let c = config(
            "sampler = [\"euler\", \"gradient-estimation\", \"ipndm\"]\nsteps = [5, 10]\n\
             gamma = [1.0, 2.0, 3.0]\nmu = [0.0, 0.5]\norder = [2, 4]\n\
             schedule = [\"edm\", \"log-linear\"]",
        )
        .unwrap();
        let cells = expand(c.sweep.as_ref().unwrap(), &c.schedule);
        // Per schedule: euler 2 steps; gradient-estimation 3 gammas x 2 mus x 2 steps;
        // ipndm 2 orders x 2 steps.
        assert_eq!(cells.len(), 2 * (2 + 12 + 4));
        let ge: Vec<&Cell> = cells
            .iter()
            .filter(|c| c.sampler == "gradient-estimation" && c.schedule == ScheduleKind::Edm)
            .collect();
        assert_eq!(ge.len(), 12);
        assert!(
            ge.iter()
                .all(|c| c.gamma.is_some() && c.mu.is_some() && c.order.is_none())
        );
        assert_eq!(
            ge[4].solver,
            Solver::GradientEstimation {
                gamma: 2.0,
                mu: 0.0
            }
        );
        let euler: Vec<&Cell> = cells.iter().filter(|c| c.sampler == "euler").collect();
        assert!(euler.iter().all(|c| c.gamma.is_none() && c.order.is_none()));
        assert_eq!(cells[0].steps, 5);
        assert_eq!(cells[1].steps, 10);
    }

    #[test]
    fn bad_sweep_values_name_their_key() {
        let err = |s: &str| config(s).unwrap_err();
        assert!(err("sampler = [\"rk9\"]\nsteps = [5]").starts_with("sweep.sampler[0]:"));
        assert!(err("sampler = [\"euler\"]\nsteps = [5, 0]").starts_with("sweep.steps[1]:"));
        assert!(err("sampler = [\"euler\"]\nsteps = []").starts_with("sweep.steps:"));
        assert!(
            err("sampler = [\"gradient-estimation\"]\nsteps = [5]\nmu = [0.0, 1.0]")
                .starts_with("sweep.mu[1]:")
        );
        assert!(
            err("sampler = [\"euler\"]\nsteps = [5]\ngamma = [2.0]")
                .starts_with("sweep.gamma: no sampler")
        );
        assert!(
            err("sampler = [\"ipndm\"]\nsteps = [5]\norder = [7]").starts_with("sweep.order[0]:")
        );
        assert!(
            err("sampler = [\"euler\"]\nsteps = [5]\nschedule = [\"cosine\"]").contains("cosine")
        );
        assert!(err("sampler = [\"euler\"]\nsteps = [5]\nspeed = 3").contains("speed"));
    }
}
