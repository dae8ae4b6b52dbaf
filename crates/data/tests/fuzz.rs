//! Property-test fuzzing of every loader of the data crate (cargo-fuzz
//! needs nightly). Each target starts from a small valid file built here,
//! applies random mutations (bit flips, byte overwrites, truncation, junk,
//! and above all hostile numbers in header fields and shapes), writes the
//! file and calls the loader. Properties, per case: no panic; Ok or a
//! DataError; no single allocation and no growth of live memory above
//! `ALLOC_BOUND`, measured by the counting allocator below. The payload cap
//! is set to `CAP` in-process so that bound holds for valid files too.
//!
//! Cases per target: `GEOTRAJ_FUZZ_CASES` (default 200). The RNG seed is
//! fixed (vary it with `GEOTRAJ_FUZZ_SEED`), so a failure reproduces with
//! the same two variables; it is reported with its case number and seed,
//! shrunk to a minimal case, and its input saved under the target dir.
//! Targets run one at a time (a lock), since the allocator's counters are
//! process-wide.

mod fuzz {
    pub mod mutate;
    pub mod seeds;
}

use fuzz::mutate::{Case, apply, case};
use fuzz::seeds::{self, Built, Num};
use geotraj_data::{DataError, Split};
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use std::alloc::{GlobalAlloc, Layout, System};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

/// The payload cap the loaders run under here.
const CAP: u64 = 16 << 20;
/// The most one case may allocate at once or keep live.
const ALLOC_BOUND: usize = 64 << 20;
/// Requests above this are refused outright (the binary then aborts) rather
/// than risk the machine's memory; the case number is written first.
const HARD_LIMIT: usize = 1 << 30;

/// Wraps the system allocator, tracking the largest single request and
/// the peak of live bytes.
struct Counting;

static LARGEST: AtomicUsize = AtomicUsize::new(0);
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// The case running now, for the abort message (usize::MAX: none).
static CASE: AtomicUsize = AtomicUsize::new(usize::MAX);

/// Counts a request; false when it is over the hard limit, after saying so
/// on stderr without allocating.
fn grew(size: usize) -> bool {
    if size > HARD_LIMIT {
        let mut line = *b"fuzz: refusing an allocation of 00000000000000000000 bytes in case 00000000000000000000\n";
        write_decimal(&mut line[32..52], size);
        write_decimal(&mut line[67..87], CASE.load(Relaxed));
        let _ = std::io::Write::write_all(&mut std::io::stderr(), &line);
        return false;
    }
    LARGEST.fetch_max(size, Relaxed);
    let live = LIVE.fetch_add(size, Relaxed) + size;
    PEAK.fetch_max(live, Relaxed);
    true
}

/// Right-aligned decimal digits of `v` in `out` (zero-padded).
fn write_decimal(out: &mut [u8], mut v: usize) {
    for b in out.iter_mut().rev() {
        *b = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

// SAFETY: every call is forwarded unchanged to `System`; the counters are
// atomics and never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !grew(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's contract for `layout` is passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !grew(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !grew(new_size) {
            return std::ptr::null_mut();
        }
        LIVE.fetch_sub(layout.size(), Relaxed);
        // SAFETY: as for `dealloc`, with the caller's `new_size`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Held by each test: the counters and the cap are process-wide.
static SERIAL: Mutex<()> = Mutex::new(());

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// One loader under test.
struct Target {
    name: &'static str,
    /// Builds the inner bytes (before compression or container).
    build: fn(Option<&[Num]>) -> Built,
    /// Wraps them (gzip, zip, CRC fixing) per the case's variant.
    wrap: fn(Vec<u8>, bool) -> Built,
    /// Where the bytes go within the case's directory.
    file: &'static str,
    /// Calls the loader on the written file (or its directory).
    load: fn(&Path) -> Result<(), DataError>,
}

fn same(bytes: Vec<u8>, _: bool) -> Built {
    Built {
        bytes,
        fields: Vec::new(),
    }
}

/// The bytes a case writes.
fn input(t: &Target, c: &Case) -> Vec<u8> {
    let mut inner = (t.build)(c.nums.as_deref());
    apply(&mut inner.bytes, &inner.fields, &c.inner);
    let mut outer = (t.wrap)(inner.bytes, c.variant);
    apply(&mut outer.bytes, &outer.fields, &c.outer);
    outer.bytes
}

/// What a run saw, for the summary line.
#[derive(Default)]
struct Tally {
    cases: usize,
    ok: usize,
    largest: usize,
    peak: usize,
}

fn run(t: &Target) {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    geotraj_data::set_max_payload_bytes(Some(CAP));
    let cases = env_u64("GEOTRAJ_FUZZ_CASES", 200) as u32;
    let seed = env_u64("GEOTRAJ_FUZZ_SEED", 0);
    // One stream per target and seed, so targets do not mirror each other.
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    for (k, b) in key[8..].iter_mut().zip(t.name.bytes()) {
        *k = b;
    }
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &key));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(t.file);
    let tally = Mutex::new(Tally::default());
    let number = AtomicUsize::new(0);
    let started = Instant::now();
    let result = runner.run(&case(), |c| {
        let k = number.fetch_add(1, Relaxed);
        let bytes = input(t, &c);
        std::fs::write(&path, &bytes).unwrap();
        let fail = |why: String| {
            let saved = save_failure(t.name, k, &bytes);
            TestCaseError::fail(format!(
                "{}: case {k} (GEOTRAJ_FUZZ_SEED={seed}, GEOTRAJ_FUZZ_CASES={cases}), input \
                 of {} bytes saved to {saved}: {why}",
                t.name,
                bytes.len()
            ))
        };
        CASE.store(k, Relaxed);
        let base = LIVE.load(Relaxed);
        LARGEST.store(0, Relaxed);
        PEAK.store(base, Relaxed);
        let loaded = catch_unwind(AssertUnwindSafe(|| (t.load)(&path)));
        let largest = LARGEST.load(Relaxed);
        let peak = PEAK.load(Relaxed).saturating_sub(base);
        {
            let mut s = tally.lock().unwrap();
            s.cases += 1;
            s.ok += usize::from(matches!(loaded, Ok(Ok(()))));
            s.largest = s.largest.max(largest);
            s.peak = s.peak.max(peak);
        }
        if let Err(payload) = &loaded {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            return Err(fail(format!("the loader panicked: {msg}")));
        }
        if largest >= ALLOC_BOUND || peak >= ALLOC_BOUND {
            return Err(fail(format!(
                "allocated {largest} bytes at once and {peak} bytes live, bound {ALLOC_BOUND}"
            )));
        }
        Ok(())
    });
    let s = tally.into_inner().unwrap();
    eprintln!(
        "fuzz {}: {} cases in {:.2} s, {} loaded, {} refused; largest allocation {} bytes, \
         peak live {} bytes",
        t.name,
        s.cases,
        started.elapsed().as_secs_f64(),
        s.ok,
        s.cases - s.ok,
        s.largest,
        s.peak
    );
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, minimal)) => panic!("{why}\nminimal case: {minimal:#?}"),
        Err(TestError::Abort(why)) => panic!("{}: aborted: {why}", t.name),
    }
}

/// Keeps a failing input where it survives the test, for reproduction.
fn save_failure(name: &str, case: usize, bytes: &[u8]) -> String {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("geotraj-fuzz");
    let path = dir.join(format!("{name}-case{case}.bin"));
    let saved = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, bytes));
    match saved {
        Ok(()) => path.display().to_string(),
        Err(e) => format!("(not saved: {e})"),
    }
}

fn gzip(bytes: Vec<u8>, two: bool) -> Built {
    seeds::gzip(&bytes, two)
}

/// The member "x.npy", plus a valid "y.npy" in the variant.
fn zip_with(bytes: Vec<u8>, two: bool, deflate: bool) -> Built {
    let other = seeds::npy(None).bytes;
    let mut members: Vec<(&str, &[u8])> = vec![("x.npy", &bytes)];
    if two {
        members.push(("y.npy", &other));
    }
    seeds::zip(&members, deflate)
}

fn png_wrap(mut bytes: Vec<u8>, fix: bool) -> Built {
    if fix {
        seeds::fix_png_crcs(&mut bytes);
    }
    same(bytes, false)
}

fn ok<T>(r: Result<T, DataError>) -> Result<(), DataError> {
    r.map(|_| ())
}

#[test]
fn fuzz_idx_plain() {
    run(&Target {
        name: "idx-plain",
        build: seeds::idx,
        wrap: same,
        file: "x-idx3-ubyte",
        // read_idx accepts any rank; the image loader then wants 3.
        load: |p| {
            geotraj_data::read_idx(p)?;
            ok(geotraj_data::load_idx_images(p, None))
        },
    });
}

#[test]
fn fuzz_idx_gzip() {
    run(&Target {
        name: "idx-gzip",
        build: seeds::idx,
        wrap: gzip,
        file: "x-idx3-ubyte.gz",
        load: |p| ok(geotraj_data::read_idx(p)),
    });
}

#[test]
fn fuzz_npy() {
    run(&Target {
        name: "npy",
        build: seeds::npy,
        wrap: same,
        file: "x.npy",
        load: |p| ok(geotraj_data::load_npy_dataset(p)),
    });
}

#[test]
fn fuzz_npz_stored() {
    run(&Target {
        name: "npz-stored",
        build: seeds::npy,
        wrap: |b, two| zip_with(b, two, false),
        file: "x.npz",
        load: |p| {
            geotraj_data::npz_keys(p)?;
            ok(geotraj_data::load_npz_dataset(p, Some("x")))
        },
    });
}

#[test]
fn fuzz_npz_deflated() {
    run(&Target {
        name: "npz-deflated",
        build: seeds::npy,
        wrap: |b, two| zip_with(b, two, true),
        file: "x.npz",
        load: |p| ok(geotraj_data::read_npz_f32(p, Some("x"))),
    });
}

#[test]
fn fuzz_png_folder() {
    run(&Target {
        name: "png-folder",
        build: seeds::png,
        wrap: png_wrap,
        file: "a.png",
        load: |p| ok(geotraj_data::load_png_folder(p.parent().unwrap())),
    });
}

#[test]
fn fuzz_cifar10_batch() {
    run(&Target {
        name: "cifar10",
        build: seeds::cifar,
        wrap: same,
        file: "data_batch_1.bin",
        load: |p| ok(geotraj_data::load_cifar10(p, Split::Train)),
    });
}

#[test]
fn fuzz_safetensors() {
    run(&Target {
        name: "safetensors",
        build: seeds::safetensors,
        wrap: same,
        file: "model.safetensors",
        load: |p| ok(geotraj_data::check_safetensors(p)),
    });
}

/// The seeds themselves load, so mutations start from valid files.
#[test]
fn seeds_are_valid() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    geotraj_data::set_max_payload_bytes(Some(CAP));
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let idx = seeds::idx(None).bytes;
    let p = write("i", &idx);
    assert_eq!(geotraj_data::load_idx_images(&p, None).unwrap().n, 2);
    for two in [false, true] {
        let p = write("i.gz", &seeds::gzip(&idx, two).bytes);
        assert_eq!(geotraj_data::read_idx(&p).unwrap().dims, vec![2, 3, 4]);
        for deflate in [false, true] {
            let p = write(
                "x.npz",
                &zip_with(seeds::npy(None).bytes, two, deflate).bytes,
            );
            assert_eq!(geotraj_data::load_npz_dataset(&p, Some("x")).unwrap().n, 3);
        }
    }
    let p = write("x.npy", &seeds::npy(None).bytes);
    assert_eq!(geotraj_data::load_npy_dataset(&p).unwrap().d, 2);
    let p = write("b.bin", &seeds::cifar(None).bytes);
    assert_eq!(geotraj_data::load_cifar10(&p, Split::Test).unwrap().n, 2);
    let p = write("m.safetensors", &seeds::safetensors(None).bytes);
    assert_eq!(geotraj_data::check_safetensors(&p).unwrap().len(), 2);
    let png_dir = tempfile::tempdir().unwrap();
    std::fs::write(png_dir.path().join("a.png"), seeds::png(None).bytes).unwrap();
    let ds = geotraj_data::load_png_folder(png_dir.path()).unwrap();
    assert_eq!(ds.item_shape, vec![3, 2, 3]);
}

/// The in-process cap overrides everything and can be cleared.
#[test]
fn cap_override_is_process_wide() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    geotraj_data::set_max_payload_bytes(Some(12345));
    assert_eq!(geotraj_data::max_payload_bytes(), 12345);
    let seen = std::thread::spawn(geotraj_data::max_payload_bytes)
        .join()
        .unwrap();
    assert_eq!(seen, 12345);
    geotraj_data::set_max_payload_bytes(None);
    assert!(geotraj_data::max_payload_bytes() > 0);
    geotraj_data::set_max_payload_bytes(Some(CAP));
}
