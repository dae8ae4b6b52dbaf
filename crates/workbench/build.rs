//! Records the git commit for run.json provenance.
use std::process::Command;

fn main() {
    let commit = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .ok()
        .is_some_and(|o| !o.stdout.is_empty());
    let suffix = if dirty { "-dirty" } else { "" };
    println!("cargo:rustc-env=GEOTRAJ_GIT_COMMIT={commit}{suffix}");
    // HEAD names the branch; a commit moves the branch's ref (or, once
    // packed, packed-refs), not HEAD: watch those too, or the recorded
    // commit goes stale across commits and amends.
    let mut watched = vec![
        "../../.git/HEAD".to_string(),
        "../../.git/index".to_string(),
        "../../.git/packed-refs".to_string(),
    ];
    if let Ok(head) = std::fs::read_to_string("../../.git/HEAD")
        && let Some(branch) = head.trim().strip_prefix("ref: ")
    {
        watched.push(format!("../../.git/{branch}"));
    }
    for p in watched {
        println!("cargo:rerun-if-changed={p}");
    }
}
