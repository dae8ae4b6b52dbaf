//! Planning: every rule names its key, and the typed parts come out right.

use super::*;
use geotraj_sampling::{ScheduleKind, Solver};

fn sweep(lists: &str) -> Result<Plan, ConfigError> {
    Plan::from_toml(
        &format!(
            "name = \"s\"\ntrajectories = 4\n[[data]]\nkind = \"two-moons\"\n\
             [schedule]\nkind = \"edm\"\n[sweep]\n{lists}\n"
        ),
        false,
    )
}

fn cells(p: &Plan) -> &[Cell] {
    match &p.kind {
        RunKind::Sweep(c) => c,
        k => panic!("not a sweep: {k:?}"),
    }
}

#[test]
fn sweep_lists_expand_to_their_product_only_where_used() {
    let p = sweep(
        "sampler = [\"euler\", \"gradient-estimation\", \"ipndm\"]\nsteps = [5, 10]\n\
         gamma = [1.0, 2.0, 3.0]\nmu = [0.0, 0.5]\norder = [2, 4]\n\
         schedule = [\"edm\", \"log-linear\"]",
    )
    .unwrap();
    let cells = cells(&p);
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
    // Each cell carries its sigmas: steps + 1 values ending at 0 (end = "zero").
    assert_eq!(cells[0].sigmas.len(), 6);
    assert_eq!(*cells[1].sigmas.last().unwrap(), 0.0);
}

#[test]
fn bad_sweep_values_name_their_key() {
    let key = |s: &str| sweep(s).unwrap_err().key;
    assert_eq!(key("sampler = [\"rk9\"]\nsteps = [5]"), "sweep.sampler[0]");
    assert_eq!(
        key("sampler = [\"euler\"]\nsteps = [5, 0]"),
        "sweep.steps[1]"
    );
    assert_eq!(key("sampler = [\"euler\"]\nsteps = []"), "sweep.steps");
    assert_eq!(
        key("sampler = [\"gradient-estimation\"]\nsteps = [5]\nmu = [0.0, 1.0]"),
        "sweep.mu[1]"
    );
    let unused = sweep("sampler = [\"euler\"]\nsteps = [5]\ngamma = [2.0]").unwrap_err();
    assert_eq!(
        (unused.key.as_str(), unused.message.as_str()),
        ("sweep.gamma", "no sampler of sweep.sampler uses it")
    );
    assert_eq!(
        key("sampler = [\"ipndm\"]\nsteps = [5]\norder = [7]"),
        "sweep.order[0]"
    );
    let e = sweep("sampler = [\"euler\"]\nsteps = [5]\nschedule = [\"cosine\"]").unwrap_err();
    assert!(
        e.key.starts_with("sweep.schedule") && e.message.contains("cosine"),
        "{e}"
    );
    assert!(
        sweep("sampler = [\"euler\"]\nsteps = [5]\nspeed = 3")
            .unwrap_err()
            .message
            .contains("speed")
    );
}

/// A valid trajectory run to break one key at a time.
const BASE: &str = "name = \"t\"\ntrajectories = 4\n\
    [[data]]\nkind = \"two-moons\"\nn = 100\n\
    [schedule]\nkind = \"edm\"\n\
    [[sampler]]\nsolver = \"euler\"\nsteps = 3\n";

fn key_of(text: &str) -> String {
    match Plan::from_toml(text, false) {
        Ok(_) => panic!("planned without error:\n{text}"),
        Err(e) => e.key,
    }
}

/// BASE with `from` replaced by `to` (which must occur).
fn with(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from}");
    BASE.replacen(from, to, 1)
}

#[test]
fn a_good_file_plans_into_typed_samplers() {
    let p = Plan::from_toml(BASE, false).unwrap();
    let s = p.samplers();
    assert_eq!(s.len(), 1);
    assert_eq!(
        (s[0].label.as_str(), s[0].solver),
        ("euler-3", Solver::Euler)
    );
    assert_eq!(s[0].steps, Some(3));
    // EDM from 80 to 0.002 in 3 steps, then 0.
    assert_eq!(s[0].sigmas.len(), 4);
    assert_eq!(
        (s[0].sigmas[0], s[0].sigmas[2], s[0].sigmas[3]),
        (80.0, 0.002, 0.0)
    );
    assert_eq!(p.gits_steps(), vec![3]);
}

#[test]
fn every_top_level_and_data_rule_names_its_key() {
    let cases: &[(String, &str)] = &[
        (with("name = \"t\"", "name = \"a/b\""), "name"),
        (with("trajectories = 4", "trajectories = 0"), "trajectories"),
        (
            with("trajectories = 4", "trajectories = 4\nbatch_size = 0"),
            "batch_size",
        ),
        (with("n = 100", "n = 0"), "data[0].n"),
        (with("n = 100", "n = 100\nnoise = -1.0"), "data[0].noise"),
        (with("n = 100", "n = 100\nlimit = 0"), "data[0].limit"),
        (
            with("n = 100", "n = 100\nheld_out = 10"),
            "data[0].held_out",
        ),
        (with("n = 100", "n = 100\nname = \"a b\""), "data[0].name"),
        (
            with("[schedule]", "[[data]]\nkind = \"two-moons\"\n[schedule]"),
            "data[1].name",
        ),
        (
            with("n = 100", "n = 100\ndenoiser = \"analytic\""),
            "data[0].denoiser",
        ),
        (
            with(
                "kind = \"two-moons\"\nn = 100",
                "kind = \"gmm\"\ndim = 3\nlayout = \"ring\"",
            ),
            "data[0].layout",
        ),
        (
            with(
                "kind = \"two-moons\"\nn = 100",
                "kind = \"sphere\"\nk = 3\nambient = 3",
            ),
            "data[0].ambient",
        ),
        (
            with(
                "kind = \"two-moons\"\nn = 100",
                "kind = \"gaussian\"\ndim = 2\nstd = 0.0",
            ),
            "data[0].std",
        ),
        (
            with("[schedule]", "[denoiser]\nchunk = 0\n[schedule]"),
            "denoiser.chunk",
        ),
        (
            with("[schedule]", "[denoiser]\ntail = 0.0\n[schedule]"),
            "denoiser.tail",
        ),
        (
            with(
                "[schedule]",
                "[denoiser]\nlogit_tolerance = -1.0\n[schedule]",
            ),
            "denoiser.logit_tolerance",
        ),
        (
            with("[schedule]", "[denoiser]\nkind = \"analytic\"\n[schedule]"),
            "denoiser.kind",
        ),
    ];
    for (text, key) in cases {
        assert_eq!(key_of(text), *key, "{text}");
    }
}

#[test]
fn every_schedule_and_sampler_rule_names_its_key() {
    let cases: &[(String, &str)] = &[
        (
            with("kind = \"edm\"", "kind = \"edm\"\nsigma_min = 90.0"),
            "schedule.sigma_max",
        ),
        (
            with("kind = \"edm\"", "kind = \"edm\"\nsigma_min = 0.0"),
            "schedule.sigma_min",
        ),
        (
            with("kind = \"edm\"", "kind = \"log-linear\"\nrho = 3.0"),
            "schedule.rho",
        ),
        (
            with("kind = \"edm\"", "kind = \"edm\"\nrho = -1.0"),
            "schedule.rho",
        ),
        (
            with("kind = \"edm\"", "kind = \"explicit\""),
            "schedule.sigmas",
        ),
        (
            with("kind = \"edm\"", "kind = \"edm\"\nsigmas = [1.0, 0.0]"),
            "schedule.sigmas",
        ),
        (
            with(
                "kind = \"edm\"",
                "kind = \"ddim-offset\"\noffset_sigma = 0.0",
            ),
            "schedule.offset_sigma",
        ),
        (with("kind = \"edm\"", "kind = \"cosine\""), "schedule.kind"),
        (
            with("kind = \"edm\"", "kind = \"edm\"\nend = \"never\""),
            "schedule.end",
        ),
        (
            with(
                "kind = \"edm\"",
                "kind = \"edm\"\n[schedule.gits]\nwarmup = 8",
            ),
            "schedule.gits",
        ),
        (with("steps = 3", "steps = 0"), "sampler[0].steps"),
        (with("steps = 3", ""), "sampler[0].steps"),
        (
            with("steps = 3", "steps = 3\norder = 2"),
            "sampler[0].order",
        ),
        (
            with("solver = \"euler\"", "solver = \"rk45\""),
            "sampler[0].solver",
        ),
        (
            with("kind = \"edm\"", "kind = \"explicit\"\nsigmas = [1.0, 0.0]"),
            "sampler[0].steps",
        ),
        (
            BASE.to_string() + "[[sampler]]\nsolver = \"euler\"\nsteps = 3\n",
            "sampler[1].name",
        ),
        (
            with("[[sampler]]\nsolver = \"euler\"\nsteps = 3\n", ""),
            "sampler",
        ),
        (
            BASE.to_string() + "[sweep]\nsampler = [\"euler\"]\nsteps = [2]\n",
            "sampler",
        ),
    ];
    for (text, key) in cases {
        assert_eq!(key_of(text), *key, "{text}");
    }
}

#[test]
fn gits_settings_are_typed_and_checked() {
    let gits = |extra: &str| {
        with(
            "kind = \"edm\"",
            &format!("kind = \"gits\"\n[schedule.gits]\n{extra}"),
        )
    };
    for (extra, key) in [
        ("cost = \"l3\"", "schedule.gits.cost"),
        ("teacher = \"ddpm\"", "schedule.gits.teacher"),
        ("teacher = \"rk4\"", "schedule.gits.teacher"),
        ("grid = \"gits\"", "schedule.gits.grid"),
        ("warmup = 0", "schedule.gits.warmup"),
        ("grid_steps = 0", "schedule.gits.grid_steps"),
        ("teacher_substeps = 0", "schedule.gits.teacher_substeps"),
        ("coefficient = -1.0", "schedule.gits.coefficient"),
        ("grid_steps = 2", "sampler[0].steps"),
    ] {
        assert_eq!(key_of(&gits(extra)), key, "{extra}");
    }
    let p = Plan::from_toml(&gits("cost = \"l1\"\nteacher = \"heun\""), false).unwrap();
    let g = p.config.schedule.gits();
    assert_eq!(g.cost, geotraj_sampling::GitsCost::L1);
    assert_eq!(g.teacher, Solver::Heun);
}

#[test]
fn every_measure_figure_and_run_kind_rule_names_its_key() {
    let plus = |extra: &str| format!("{BASE}{extra}");
    let cases: &[(String, &str)] = &[
        (plus("[quality]\npca_dim = 0\n"), "quality.pca_dim"),
        (plus("[quality]\nprojections = 0\n"), "quality.projections"),
        (plus("[quality]\nrtol = 0.0\n"), "quality.rtol"),
        (
            plus("[quality]\nfeatures = \"inception\"\n"),
            "quality.inception_weights",
        ),
        (
            plus("[quality]\nreference_stats = \"s.npz\"\n"),
            "quality.reference_stats",
        ),
        (
            plus("[quality]\ninception_weights = \"w.pth\"\n"),
            "quality.inception_weights",
        ),
        (
            plus("[measures]\nmemorised_ratio = 1.5\n"),
            "measures.memorised_ratio",
        ),
        (plus("[measures]\njump = true\n"), "measures.jump"),
        (
            with("trajectories = 4", "trajectories = 1") + "[measures]\njump_quality = true\n",
            "measures.jump_quality",
        ),
        (
            with("solver = \"euler\"", "solver = \"heun\"") + "[measures]\nidentity = 2\n",
            "measures.identity",
        ),
        (
            plus("[measures]\nlearned_vs_optimal = true\n"),
            "measures.learned_vs_optimal",
        ),
        (plus("[[figure]]\nkind = \"nu\"\n"), "figure[0].kind"),
        (plus("[[figure]]\nkind = \"low-dim\"\n"), "figure[0].kind"),
        (plus("[[figure]]\nkind = \"identity\"\n"), "figure[0].kind"),
        (
            plus("[[figure]]\nkind = \"error-vs-nfe\"\n"),
            "figure[0].kind",
        ),
        (
            plus("[[figure]]\nkind = \"eps-field\"\n"),
            "figure[0].sigmas",
        ),
        (
            plus("[[figure]]\nkind = \"eps-field\"\nsigmas = [-1.0]\n"),
            "figure[0].sigmas",
        ),
        (
            plus("[[figure]]\nkind = \"nu\"\nsigmas = [1.0]\n"),
            "figure[0].sigmas",
        ),
        (plus("[quick]\ntrajectories = 0\n"), "quick.trajectories"),
        (plus("[quick]\ndata_limit = 0\n"), "quick.data_limit"),
        (plus("[quick]\ntrain_steps = 0\n"), "quick.train_steps"),
        (plus("[projection]\n"), "data[0].kind"),
        (
            plus("[net]\nkind = \"mlp\"\ndim = 2\nhidden = 8\ndepth = 1\nembed = 4\n"),
            "net",
        ),
        (
            plus("[preconditioning]\nkind = \"edm\"\nsigma_data = 0.5\n"),
            "preconditioning",
        ),
        (
            with("[schedule]", "[denoiser]\nkind = \"learned\"\n[schedule]"),
            "data[0]",
        ),
        (
            with("[schedule]", "[denoiser]\nmodel = \"x.toml\"\n[schedule]"),
            "denoiser.model/checkpoint",
        ),
    ];
    for (text, key) in cases {
        assert_eq!(key_of(text), *key, "{text}");
    }
    let sweep_figure = "name = \"s\"\ntrajectories = 4\n[[data]]\nkind = \"two-moons\"\n\
        [sweep]\nsampler = [\"euler\"]\nsteps = [2]\n[[figure]]\nkind = \"quality-vs-nfe\"\nmeasure = \"fid\"\n";
    assert_eq!(key_of(sweep_figure), "figure[0].measure");
    let sweep_measure =
        sweep_figure.replace("measure = \"fid\"", "") + "[measures]\ndistance = true\n";
    assert_eq!(key_of(&sweep_measure), "measures");
}

#[test]
fn projection_rules_name_their_keys() {
    let sphere = "name = \"p\"\n[[data]]\nkind = \"sphere\"\nk = 2\nambient = 3\n[projection]\n";
    assert!(matches!(
        Plan::from_toml(sphere, false).unwrap().kind,
        RunKind::Projection(_)
    ));
    for (extra, key) in [
        ("points = 0", "projection.points"),
        ("sigmas = 1", "projection.sigmas"),
        (
            "sigma_min = 2.0\nsigma_max = 1.0",
            "projection.sigma_min, sigma_max",
        ),
    ] {
        assert_eq!(key_of(&format!("{sphere}{extra}\n")), key, "{extra}");
    }
    let with_sampler = "name = \"p\"\ntrajectories = 4\n[[data]]\nkind = \"sphere\"\nk = 2\nambient = 3\n\
        [[sampler]]\nsolver = \"euler\"\nsteps = 2\n[projection]\n";
    assert_eq!(key_of(with_sampler), "projection");
}

#[test]
fn syntax_and_type_errors_name_key_and_line() {
    let e = Plan::from_toml(&with("steps = 3", "steps = \"three\""), false).unwrap_err();
    assert_eq!(e.key, "sampler[0].steps");
    assert!(e.message.contains("line 10"), "{e}");
    let e = Plan::from_toml(
        &with("trajectories = 4", "trajectories = 4\ntrajectorys = 5"),
        false,
    )
    .unwrap_err();
    assert!(e.message.contains("trajectorys"), "{e}");
    let e = Plan::from_toml("name = ", false).unwrap_err();
    assert!(e.key.is_empty() && e.message.contains("line 1"), "{e}");
}

#[test]
fn quick_shrinks_after_the_file_is_checked() {
    let text = with("trajectories = 4", "trajectories = 40")
        + "[quick]\ntrajectories = 5\ndata_limit = 50\n";
    let p = Plan::from_toml(&text, true).unwrap();
    assert!(p.quick);
    assert_eq!(p.config.trajectories, 5);
    assert_eq!(p.config.data[0].limit, Some(50));
    let full = Plan::from_toml(&text, false).unwrap();
    assert_eq!(
        (full.config.trajectories, full.config.data[0].limit),
        (40, None)
    );
}

const BUDGET_TEXT: &str = r#"
name = "b"
trajectories = 1000
batch_size = 100
[[data]]
kind = "gaussian"
n = 500
dim = 10
[schedule]
kind = "edm"
[[sampler]]
solver = "euler"
steps = 9
"#;

#[test]
fn the_estimate_adds_up_its_parts() {
    let plan = Plan::from_toml(BUDGET_TEXT, false).unwrap();
    let e = budget::estimate(&plan.config, &plan.kind, &[Some((500, 10))]);
    let part = |what: &str| {
        e.needs
            .iter()
            .find(|n| n.what == what)
            .unwrap_or_else(|| panic!("{what}: {e:?}"))
            .bytes
    };
    assert_eq!(part("the data set"), 500.0 * 10.0 * 4.0);
    assert_eq!(part("per-step measures"), 1000.0 * 10.0 * 24.0 * 8.0);
    // 256 head trajectories of 10 states and up to 27 evaluations.
    assert_eq!(
        part("recorded head trajectories"),
        256.0 * 37.0 * 10.0 * 4.0
    );
    assert_eq!(part("final samples"), 1000.0 * 10.0 * 4.0);
    assert_eq!(
        part("one batch's trajectories"),
        100.0 * 37.0 * 10.0 * 4.0 + 100.0 * 500.0 * 8.0
    );
    let total = e.total();
    assert!(e.check((total, "test".into())).is_ok());
    let err = e
        .check((total / 2.0, "test".into()))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("trajectories x sampler[0].steps"), "{err}");
    // Unknown sizes (files before loading) leave their parts out.
    assert_eq!(
        budget::estimate(&plan.config, &plan.kind, &[None]).total(),
        0.0
    );
}
