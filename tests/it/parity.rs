//! Parity of every ODE solver with its reference implementation: the same
//! starting noise, schedule and denoiser give the same final state, to f32
//! tolerance (the states live in f32 on the device; the references below are
//! f64).
//!
//! How the reference numbers were produced: plain-Python, double-precision
//! ports of the reference code on lists of floats, as literal as possible
//! (same loops, buffers, formulas and order of operations), run once and
//! pasted here; the script is not kept. Sources (mirror commits):
//! - k-diffusion `k_diffusion/sampling.py` (crowsonkb/k-diffusion 4601bf085320):
//!   `sample_euler` (s_churn = 0), `sample_dpm_2`, `sample_dpmpp_2m`,
//!   `sample_lms` with `get_sigmas_karras` + `append_zero`. `sample_lms`
//!   integrates its Lagrange polynomials with scipy `quad`; the port
//!   integrates them exactly, in rational arithmetic.
//! - EDM `generate.py` (NVlabs/edm 008a4e5316c8): `edm_sampler` with
//!   S_churn = 0 (no 2nd-order correction on the step to the appended 0).
//! - diff-sampler `diff-solvers-main/solvers.py` and `solver_utils.py`
//!   (zju-pi/diff-sampler 68d5ce427f26): `ipndm_sampler`; `deis_sampler` with
//!   `get_deis_coeff_list(.., 'tab')`; `unipc_sampler` + `unipc_update`
//!   (variant 'bh2', predict_x0, lower_order_final), without
//!   `dynamic_thresholding_fn` (geotraj does not threshold).
//! - smalldiffusion `src/smalldiffusion/diffusion.py` `samples`
//!   (yuanchenyang/smalldiffusion 7f607a84f5c5) with (gam, mu) = (1, 0),
//!   (2, 0), (1.5, 0): the deterministic members.
//!
//! Denoiser: the exact Gaussian one, D(x; sigma) = mu + s^2/(s^2 + sigma^2) (x - mu),
//! d = 3, mu = [0.3, -0.2, 0.1] (as f32, as the device holds it), s = 0.5.
//! Schedules: k-diffusion's `get_sigmas_karras` (rho = 7, sigma 20 -> 0.02)
//! for 6 and 10 steps, once with the final 0 appended and once ending at
//! sigma_min (steps + 1 points); pasted as Python printed them (they agree
//! with `Schedule::Edm` to 1e-15, checked below). x_0 = sigma_0 z with z below
//! (exact in f32, as is 20 z).
//!
//! Deviations from the literal reference, each forced or harmless:
//! - diff-sampler's `ipndm_sampler` and `deis_sampler` raise IndexError with
//!   max_order = 1 (`buffer_model[-1] = d_cur` on an empty list, after the
//!   first step); the port skips that buffer update for order 1, so order 1
//!   is Euler, which is what their `order == 1` branch computes.
//! - DEIS: diff-sampler's coefficients are a 10,000-point sum
//!   `sum(integrand * poly) * dtau` with `taus = linspace(t_cur, t_next, N)`
//!   and `dtau = (t_next - t_cur) / N`, and the derivative of log alpha by
//!   autograd. The port uses the analytic derivative, and the expected values
//!   here use the exact integral (composite Simpson in sigma, 4,000 intervals;
//!   it agrees with 8,000 intervals to 2e-14 and with Simpson in VP time to
//!   7e-14). Measured: diff-sampler's own sum is 1.8e-5 to 3.1e-5 (relative)
//!   off the exact coefficients, which moves the final state by 7.4e-6 to
//!   3.1e-5 relative (beyond this file's tolerance, so it is not the
//!   yardstick). On schedules ending at 0 diff-sampler's sum is not finite at
//!   all: the integrand d sigma / d tau = -(1/2) dlog(alpha)/dtau / sqrt(alpha (1 - alpha))
//!   is +inf at tau = 0, a linspace end point, so its final state is NaN; the
//!   exact integral is finite (the singularity is integrable). diff-sampler
//!   computes its VP betas from float32 tensors; doing so changes the final
//!   state by < 1e-7 relative, so the port keeps f64.
//! - UniPC: diff-sampler runs the corrector on the last step when there are
//!   fewer steps than the order; geotraj never does. Every case here has
//!   steps >= order, where the two agree.

use crate::common::cpu;
use geotraj::denoise::GaussianDenoiser;
use geotraj::sampling::{SampleOptions, Schedule, ScheduleEnd, Solver, sample};

/// Starting noise of the one trajectory (d = 3).
const Z: [f32; 3] = [0.8515625, -1.3125, 0.2734375];

/// |ours - reference| <= TOL max(1, |reference|): a few f32 ulps.
const TOL: f64 = 2e-6;

struct Grid {
    steps: usize,
    end: ScheduleEnd,
    sigmas: &'static [f64],
}

/// Runs every reference case of the solvers named `family`, checks x_N and
/// prints each solver's largest relative difference (seen with --nocapture).
fn check(family: &str) {
    let den = GaussianDenoiser::new(vec![0.3, -0.2, 0.1], 0.5, cpu());
    let mut failures = Vec::new();
    let mut cases = 0;
    let mut worst: Vec<(String, f64)> = Vec::new();
    for (solver, g, want) in REFERENCE.iter().filter(|(s, _, _)| s.name() == family) {
        let grid = &GRIDS[*g];
        let t = sample(
            &den,
            *solver,
            grid.sigmas,
            &Z,
            SampleOptions::batch(1),
            &mut || {},
        )
        .unwrap();
        let got = t.final_samples();
        let rel = got
            .iter()
            .zip(want)
            .map(|(&a, &b)| (a as f64 - b).abs() / b.abs().max(1.0))
            .fold(0.0, f64::max);
        let label = solver.describe();
        match worst.iter_mut().find(|(l, _)| *l == label) {
            Some((_, w)) => *w = w.max(rel),
            None => worst.push((label.clone(), rel)),
        }
        if rel.is_nan() || rel > TOL {
            failures.push(format!(
                "{label}, {} steps, end {:?}: got {got:?}, want {want:?} (rel {rel:.2e})",
                grid.steps, grid.end
            ));
        }
        cases += 1;
    }
    assert!(cases > 0, "no reference cases for {family}");
    for (label, w) in &worst {
        eprintln!("parity {label}: max rel diff {w:.2e}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn pasted_sigmas_are_the_edm_schedule() {
    for grid in &GRIDS {
        let ours = Schedule::Edm { rho: 7.0 }
            .sigmas(grid.steps, 0.02, 20.0, grid.end)
            .unwrap();
        assert_eq!(ours.len(), grid.sigmas.len());
        for (a, b) in ours.iter().zip(grid.sigmas) {
            assert!(
                (a - b).abs() <= 1e-15 * b.abs().max(1.0),
                "{ours:?} vs {:?}",
                grid.sigmas
            );
        }
    }
}

#[test]
fn euler_matches_k_diffusion() {
    check("euler");
}

#[test]
fn heun_matches_edm() {
    check("heun");
}

#[test]
fn dpm2_matches_k_diffusion() {
    check("dpm2");
}

#[test]
fn dpmpp_2m_matches_k_diffusion() {
    check("dpm++2m");
}

#[test]
fn ipndm_matches_diff_sampler() {
    check("ipndm");
}

#[test]
fn deis_matches_diff_sampler_with_exact_integrals() {
    check("deis");
}

#[test]
fn unipc_matches_diff_sampler() {
    check("unipc");
}

#[test]
fn lms_matches_k_diffusion() {
    check("lms");
}

#[test]
fn gradient_estimation_matches_smalldiffusion() {
    check("gradient-estimation");
}

// ---------------------------------------------------------------------------
// Reference data, printed by the Python ports (repr: the shortest decimal
// that round-trips the f64).

#[rustfmt::skip]
const SIGMAS_6_ZERO: &[f64] = &[19.999999999999993, 7.825804965303457, 2.647425751187615, 0.7339118387909892, 0.15237082145663114, 0.020000000000000014, 0.0];
#[rustfmt::skip]
const SIGMAS_6_SIGMA_MIN: &[f64] = &[19.999999999999993, 9.233215581677594, 3.872193886081451, 1.4354264604908293, 0.4514948805086599, 0.11286692761209662, 0.020000000000000014];
#[rustfmt::skip]
const SIGMAS_10_ZERO: &[f64] = &[19.999999999999993, 12.061816018659288, 6.99336175980428, 3.872193886081451, 2.0301646014973254, 0.996746790291289, 0.4514948805086599, 0.18483642049940052, 0.06638935656800964, 0.020000000000000014, 0.0];
#[rustfmt::skip]
const SIGMAS_10_SIGMA_MIN: &[f64] = &[19.999999999999993, 12.708733361860077, 7.825804965303457, 4.6481215104251286, 2.647425751187615, 1.4354264604908293, 0.7339118387909892, 0.3494613316325199, 0.15237082145663114, 0.05940615905038399, 0.020000000000000014];

const GRIDS: [Grid; 4] = [
    Grid {
        steps: 6,
        end: ScheduleEnd::Zero,
        sigmas: SIGMAS_6_ZERO,
    },
    Grid {
        steps: 6,
        end: ScheduleEnd::SigmaMin,
        sigmas: SIGMAS_6_SIGMA_MIN,
    },
    Grid {
        steps: 10,
        end: ScheduleEnd::Zero,
        sigmas: SIGMAS_10_ZERO,
    },
    Grid {
        steps: 10,
        end: ScheduleEnd::SigmaMin,
        sigmas: SIGMAS_10_SIGMA_MIN,
    },
];

/// (solver, index into GRIDS, x_N).
#[rustfmt::skip]
const REFERENCE: &[(Solver, usize, [f64; 3])] = &[
    (Solver::Euler, 0, [0.5864037630567889, -0.6459211219373571, 0.19190169081873337]),
    (Solver::Euler, 1, [0.6069124866688891, -0.6778525227839611, 0.1984825625372452]),
    (Solver::Euler, 2, [0.6394661324411035, -0.728537466997536, 0.2089284279576765]),
    (Solver::Euler, 3, [0.6471360177913076, -0.7404792235006256, 0.21138955291796457]),
    (Solver::Heun, 0, [0.8477911113614814, -1.0528925333626673, 0.27577607718085095]),
    (Solver::Heun, 1, [0.8084295220801334, -0.9916078474370861, 0.263145668063412]),
    (Solver::Heun, 2, [0.7547767503952716, -0.9080722656230219, 0.24592948169907083]),
    (Solver::Heun, 3, [0.748016691066493, -0.8975470779879067, 0.24376030315370414]),
    (Solver::Dpm2, 0, [0.7935406394011704, -0.9684263520904175, 0.2583680998053651]),
    (Solver::Dpm2, 1, [0.767905671025512, -0.9285135585701895, 0.2501423105471401]),
    (Solver::Dpm2, 2, [0.7387597241165524, -0.8831342881969356, 0.24078991293575194]),
    (Solver::Dpm2, 3, [0.7352740979655265, -0.8777072841602668, 0.23967143969517185]),
    (Solver::DpmPp2m, 0, [0.7372675621168321, -0.8808110415706552, 0.2403111056296941]),
    (Solver::DpmPp2m, 1, [0.7504640586676659, -0.9013575479796104, 0.24454561834620384]),
    (Solver::DpmPp2m, 2, [0.7464005618149868, -0.8950308184719168, 0.24324171703952882]),
    (Solver::DpmPp2m, 3, [0.7437086044343921, -0.8908395303250992, 0.2423779174911772]),
    (Solver::Ipndm { order: 1 }, 0, [0.5864037630567889, -0.6459211219373571, 0.19190169081873337]),
    (Solver::Ipndm { order: 1 }, 1, [0.6069124866688891, -0.6778525227839611, 0.1984825625372452]),
    (Solver::Ipndm { order: 1 }, 2, [0.6394661324411035, -0.728537466997536, 0.2089284279576765]),
    (Solver::Ipndm { order: 1 }, 3, [0.6471360177913076, -0.7404792235006256, 0.21138955291796457]),
    (Solver::Ipndm { order: 2 }, 0, [0.6710699795677556, -0.7777436062962548, 0.21906952048423678]),
    (Solver::Ipndm { order: 2 }, 1, [0.6849037596257189, -0.7992823419391666, 0.22350852574197266]),
    (Solver::Ipndm { order: 2 }, 2, [0.7024547570268923, -0.8266086614056753, 0.22914031758887798]),
    (Solver::Ipndm { order: 2 }, 3, [0.7052921241278263, -0.8310263476528797, 0.23005077643862112]),
    (Solver::Ipndm { order: 3 }, 0, [0.7177573522353595, -0.8504342934068104, 0.23405063857871394]),
    (Solver::Ipndm { order: 3 }, 1, [0.7251540704618834, -0.8619507377798357, 0.23642410923965787]),
    (Solver::Ipndm { order: 3 }, 2, [0.7244389707720691, -0.8608373513364557, 0.2361946469184709]),
    (Solver::Ipndm { order: 3 }, 3, [0.7245281041646702, -0.8609761290654744, 0.23622324818267618]),
    (Solver::Ipndm { order: 4 }, 0, [0.7441884271995862, -0.8915865984186825, 0.242531883780113]),
    (Solver::Ipndm { order: 4 }, 1, [0.745856559347631, -0.8941838247157359, 0.24306715666610232]),
    (Solver::Ipndm { order: 4 }, 2, [0.731279855563683, -0.871488381530143, 0.23838976086637995]),
    (Solver::Ipndm { order: 4 }, 3, [0.7295452877652572, -0.8687877171341167, 0.23783317000366191]),
    (Solver::Deis { order: 1 }, 0, [0.5864037630567889, -0.6459211219373571, 0.19190169081873337]),
    (Solver::Deis { order: 1 }, 1, [0.6069124866688891, -0.6778525227839611, 0.1984825625372452]),
    (Solver::Deis { order: 1 }, 2, [0.6394661324411035, -0.728537466997536, 0.2089284279576765]),
    (Solver::Deis { order: 1 }, 3, [0.6471360177913076, -0.7404792235006256, 0.21138955291796457]),
    (Solver::Deis { order: 2 }, 0, [0.6305621386423403, -0.714674244668272, 0.20607130032358464]),
    (Solver::Deis { order: 2 }, 1, [0.6506853237273554, -0.7460053748455249, 0.21252845982883156]),
    (Solver::Deis { order: 2 }, 2, [0.6803900847618701, -0.7922547002343582, 0.22206017060199054]),
    (Solver::Deis { order: 2 }, 3, [0.6864468026532561, -0.8016848086342068, 0.22400365983283227]),
    (Solver::Deis { order: 3 }, 0, [0.6553668893092208, -0.7532944168167188, 0.2140306880083503]),
    (Solver::Deis { order: 3 }, 1, [0.6730949441304727, -0.7808964087999729, 0.21971929432066964]),
    (Solver::Deis { order: 3 }, 2, [0.6972188593786182, -0.8184565428359856, 0.2274602144578268]),
    (Solver::Deis { order: 3 }, 3, [0.7017580772044574, -0.8255239540834322, 0.2289167658639127]),
    (Solver::Deis { order: 4 }, 0, [0.6706168167972117, -0.7770380469280221, 0.21892410889661393]),
    (Solver::Deis { order: 4 }, 1, [0.6872816683031091, -0.8029846666957194, 0.22427155284498598]),
    (Solver::Deis { order: 4 }, 2, [0.7061911511373932, -0.8324261028184078, 0.23033925764951171]),
    (Solver::Deis { order: 4 }, 3, [0.7094623137052543, -0.8375191941859818, 0.23138891347581533]),
    (Solver::UniPc { order: 1 }, 0, [0.602319444296034, -0.670701308506221, 0.19700873982525474]),
    (Solver::UniPc { order: 1 }, 1, [0.6275364792453546, -0.7099633935759371, 0.20510042194362896]),
    (Solver::UniPc { order: 1 }, 2, [0.667219818384462, -0.7717490333333986, 0.21783407466507818]),
    (Solver::UniPc { order: 1 }, 3, [0.675782164667897, -0.7850803218394504, 0.22058157390328129]),
    (Solver::UniPc { order: 2 }, 0, [0.7511432410085164, -0.9024150123047345, 0.2447635554515622]),
    (Solver::UniPc { order: 2 }, 1, [0.7054948851407301, -0.8313420398091323, 0.2301158387136156]),
    (Solver::UniPc { order: 2 }, 2, [0.750369995609325, -0.9012110949249229, 0.24451543524304747]),
    (Solver::UniPc { order: 2 }, 3, [0.7336614999095552, -0.8751965225983284, 0.23915398667661303]),
    (Solver::UniPc { order: 3 }, 0, [0.8641784175283256, -1.0784070242645194, 0.2810344619411953]),
    (Solver::UniPc { order: 3 }, 1, [0.7244455230614484, -0.8608475530331874, 0.2361967494274659]),
    (Solver::UniPc { order: 3 }, 2, [0.7629015293930448, -0.9207222764123275, 0.24853657365354317]),
    (Solver::UniPc { order: 3 }, 3, [0.748552546002182, -0.8983813863081493, 0.24393224913426342]),
    (Solver::Lms { order: 1 }, 0, [0.5864037630567889, -0.6459211219373571, 0.19190169081873337]),
    (Solver::Lms { order: 1 }, 1, [0.6069124866688891, -0.6778525227839611, 0.1984825625372452]),
    (Solver::Lms { order: 1 }, 2, [0.6394661324411035, -0.728537466997536, 0.2089284279576765]),
    (Solver::Lms { order: 1 }, 3, [0.6471360177913076, -0.7404792235006256, 0.21138955291796457]),
    (Solver::Lms { order: 2 }, 0, [0.611236374652583, -0.6845846726258787, 0.19987001856250056]),
    (Solver::Lms { order: 2 }, 1, [0.6350306851411343, -0.7216316230089935, 0.2075051746023046]),
    (Solver::Lms { order: 2 }, 2, [0.670999681694267, -0.7776341548443029, 0.21904696319123995]),
    (Solver::Lms { order: 2 }, 3, [0.6783337927205891, -0.7890531218880058, 0.22140034435461328]),
    (Solver::Lms { order: 3 }, 0, [0.6181958038225247, -0.6954202724755866, 0.2021031712183019]),
    (Solver::Lms { order: 3 }, 1, [0.6436527717488055, -0.7350559252138001, 0.2102718434103775]),
    (Solver::Lms { order: 3 }, 2, [0.6813245469190189, -0.7937096267466202, 0.22236002229916638]),
    (Solver::Lms { order: 3 }, 3, [0.6885778539529445, -0.80500278466051, 0.22468747494946603]),
    (Solver::Lms { order: 4 }, 0, [0.6204389967151955, -0.6989128492339889, 0.2028229705069244]),
    (Solver::Lms { order: 4 }, 1, [0.6469607593407235, -0.7402063519195754, 0.21133331570873146]),
    (Solver::Lms { order: 4 }, 2, [0.685857481685822, -0.8007672554800288, 0.22381455758731636]),
    (Solver::Lms { order: 4 }, 3, [0.6931234426074337, -0.8120801150763647, 0.2261460706371405]),
    (Solver::GradientEstimation { gamma: 1.0, mu: 0.0 }, 0, [0.5864037630567889, -0.6459211219373571, 0.19190169081873337]),
    (Solver::GradientEstimation { gamma: 1.0, mu: 0.0 }, 1, [0.6069124866688891, -0.6778525227839611, 0.1984825625372452]),
    (Solver::GradientEstimation { gamma: 1.0, mu: 0.0 }, 2, [0.6394661324411035, -0.728537466997536, 0.2089284279576765]),
    (Solver::GradientEstimation { gamma: 1.0, mu: 0.0 }, 3, [0.6471360177913076, -0.7404792235006256, 0.21138955291796457]),
    (Solver::GradientEstimation { gamma: 2.0, mu: 0.0 }, 0, [0.7465995087429323, -0.8953405722246889, 0.24330555544490018]),
    (Solver::GradientEstimation { gamma: 2.0, mu: 0.0 }, 1, [0.7536673665927364, -0.9063449919242046, 0.24557350086724697]),
    (Solver::GradientEstimation { gamma: 2.0, mu: 0.0 }, 2, [0.7591175199499307, -0.9148306995097004, 0.24732235470955782]),
    (Solver::GradientEstimation { gamma: 2.0, mu: 0.0 }, 3, [0.7576915782101177, -0.9126105556265868, 0.24686479626539187]),
    (Solver::GradientEstimation { gamma: 1.5, mu: 0.0 }, 0, [0.6710699795677556, -0.7777436062962548, 0.21906952048423678]),
    (Solver::GradientEstimation { gamma: 1.5, mu: 0.0 }, 1, [0.6849037596257189, -0.7992823419391666, 0.22350852574197266]),
    (Solver::GradientEstimation { gamma: 1.5, mu: 0.0 }, 2, [0.7024547570268923, -0.8266086614056753, 0.22914031758887798]),
    (Solver::GradientEstimation { gamma: 1.5, mu: 0.0 }, 3, [0.7052921241278263, -0.8310263476528797, 0.23005077643862112]),
];
