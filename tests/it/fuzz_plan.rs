//! A mutation fuzzer for the planner: every experiment file of the
//! catalogue, with numbers replaced by hostile ones (0, -1, 2^64, 1e308,
//! nan), lines dropped, doubled and swapped, strings replaced and the text
//! cut short, must plan or fail with an error; never panic and never ask
//! for a large allocation (the budget judges sizes by arithmetic first).
//! Cases per file: GEOTRAJ_FUZZ_CASES (default 40); CI runs more in a step
//! of its own. Deterministic: a failure names its file and case.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Records each thread's largest allocation request, so one test can
/// watch its own thread while the others run.
struct Watch;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to the system allocator unchanged; the
// bookkeeping touches a const-initialised thread-local without destructor.
unsafe impl GlobalAlloc for Watch {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = LARGEST.try_with(|l| l.set(l.get().max(layout.size())));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = LARGEST.try_with(|l| l.set(l.get().max(new_size)));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static WATCH: Watch = Watch;

/// Planning may hold an explicit schedule, sigmas and tables, never more.
const MAX_ALLOCATION: usize = 64 << 20;

const HOSTILE_NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "4294967296",
    "9223372036854775807",
    "18446744073709551616",
    "100000000000",
    "1e308",
    "-1e308",
    "1e-300",
    "nan",
    "inf",
    "-inf",
    "0.0",
    "3.5",
];

const HOSTILE_STRINGS: &[&str] = &[
    "\"\"",
    "\"a/b\"",
    "\"../x\"",
    "\"dpm++2m\"",
    "\"gits\"",
    "\"explicit\"",
    "\"learned\"",
    "\"/dev/zero\"",
    "\"cache\"",
    "[]",
    "[1.0, 0.0]",
    "{}",
];

/// splitmix64: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Byte ranges [start, end) in a text.
type Spans = Vec<(usize, usize)>;

/// Byte ranges of the numbers and of the quoted strings in `text`.
fn tokens(text: &str) -> (Spans, Spans) {
    let b = text.as_bytes();
    let (mut nums, mut strs) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'#' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i] == b'"' {
            let start = i;
            i += 1;
            while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                i += 1;
            }
            strs.push((start, (i + 1).min(b.len())));
            i += 1;
        } else if b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_') {
                i += 1;
            }
            nums.push((start, i));
        } else {
            i += 1;
        }
    }
    (nums, strs)
}

fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut s = text.to_string();
    for _ in 0..1 + rng.below(3) {
        let (nums, strs) = tokens(&s);
        let lines: Vec<&str> = s.lines().collect();
        s = match rng.below(7) {
            0 | 1 if !nums.is_empty() => {
                let (a, b) = nums[rng.below(nums.len())];
                let v = HOSTILE_NUMBERS[rng.below(HOSTILE_NUMBERS.len())];
                format!("{}{v}{}", &s[..a], &s[b..])
            }
            2 if !strs.is_empty() => {
                let (a, b) = strs[rng.below(strs.len())];
                let v = HOSTILE_STRINGS[rng.below(HOSTILE_STRINGS.len())];
                format!("{}{v}{}", &s[..a], &s[b..])
            }
            3 if !lines.is_empty() => {
                let drop = rng.below(lines.len());
                lines
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != drop)
                    .map(|(_, l)| *l)
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            4 if !lines.is_empty() => {
                let (a, b) = (rng.below(lines.len()), rng.below(lines.len()));
                let mut v = lines.clone();
                v.insert(b, lines[a]);
                v.join("\n")
            }
            5 if lines.len() > 1 => {
                let (a, b) = (rng.below(lines.len()), rng.below(lines.len()));
                let mut v = lines.clone();
                v.swap(a, b);
                v.join("\n")
            }
            _ => {
                let mut cut = rng.below(s.len());
                while !s.is_char_boundary(cut) {
                    cut -= 1;
                }
                s[..cut].to_string()
            }
        };
    }
    s
}

#[test]
fn fuzz_the_planner_with_mutated_experiment_files() {
    let cases: usize = std::env::var("GEOTRAJ_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/experiments");
    let files = geotraj::workbench::catalogue::experiment_files(std::path::Path::new(dir)).unwrap();
    assert!(files.len() >= 20, "{files:?}");
    let (mut planned, mut refused) = (0usize, 0usize);
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        for case in 0..cases {
            let mut rng = Rng(case as u64 ^ (name.len() as u64) << 32 ^ 0x6765_6F74);
            let mutated = mutate(&text, &mut rng);
            let quick = rng.below(2) == 1;
            LARGEST.with(|l| l.set(0));
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                geotraj::workbench::plan::Plan::from_toml(&mutated, quick).map(|plan| {
                    let est =
                        geotraj::workbench::plan::budget::estimate(&plan.config, &plan.kind, &[]);
                    assert!(est.total().is_finite());
                })
            }));
            let largest = LARGEST.with(Cell::get);
            match outcome {
                Ok(Ok(())) => planned += 1,
                Ok(Err(e)) => {
                    assert!(!e.to_string().is_empty(), "{name} case {case}: empty error");
                    refused += 1;
                }
                Err(_) => panic!("{name} case {case} (quick = {quick}) panicked on:\n{mutated}"),
            }
            assert!(
                largest <= MAX_ALLOCATION,
                "{name} case {case}: planning asked for {largest} bytes at once:\n{mutated}"
            );
        }
    }
    eprintln!(
        "fuzz planner: {} files x {cases} cases: {planned} planned, {refused} refused",
        files.len()
    );
    // Both outcomes occur, or the mutations are not reaching the rules.
    assert!(
        planned > 0 && refused > 0,
        "planned {planned}, refused {refused}"
    );
}
