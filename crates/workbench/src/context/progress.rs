//! A progress bar on stderr: redrawn in place on a terminal, a line per
//! tenth otherwise (so CI logs stay short).

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Instant;

/// Shown before every bar's label in this process: the `--all` runner sets
/// "[k/N NAME]" so one display covers the whole catalogue.
static PREFIX: Mutex<String> = Mutex::new(String::new());

/// Sets the process-wide label prefix ("" for none).
pub fn set_prefix(prefix: impl Into<String>) {
    *PREFIX.lock().unwrap_or_else(|e| e.into_inner()) = prefix.into();
}

/// The label with the process-wide prefix.
fn shown(label: &str) -> String {
    let prefix = PREFIX.lock().unwrap_or_else(|e| e.into_inner());
    if prefix.is_empty() {
        label.to_string()
    } else {
        format!("{prefix} {label}")
    }
}

pub struct Progress {
    total: usize,
    done: usize,
    label: String,
    start: Instant,
    tty: bool,
    last_tenth: usize,
    last_draw: Option<Instant>,
}

impl Progress {
    pub fn new(total: usize) -> Self {
        Self {
            total: total.max(1),
            done: 0,
            label: String::new(),
            start: Instant::now(),
            tty: std::io::stderr().is_terminal(),
            last_tenth: 0,
            last_draw: None,
        }
    }

    pub fn set_label(&mut self, label: impl Into<String>) {
        self.label = label.into();
    }

    pub fn tick(&mut self) {
        self.done += 1;
        let frac = self.done as f64 / self.total as f64;
        let elapsed = self.start.elapsed().as_secs_f64();
        let eta = if self.done > 0 {
            elapsed * (1.0 / frac - 1.0)
        } else {
            0.0
        };
        let mut err = std::io::stderr().lock();
        if self.tty {
            let now = Instant::now();
            let due = self
                .last_draw
                .is_none_or(|t| now.duration_since(t).as_millis() >= 100);
            if due || self.done == self.total {
                self.last_draw = Some(now);
                let width = 30;
                let filled = (frac * width as f64) as usize;
                let _ = write!(
                    err,
                    "\r[{}{}] {:3.0}% {:<28} {:6.1}s, eta {:5.1}s",
                    "=".repeat(filled),
                    " ".repeat(width - filled),
                    frac * 100.0,
                    shown(&self.label),
                    elapsed,
                    eta
                );
                let _ = err.flush();
            }
        } else {
            let tenth = (frac * 10.0) as usize;
            if tenth > self.last_tenth {
                self.last_tenth = tenth;
                let _ = writeln!(
                    err,
                    "{:3.0}% {} ({:.1}s, eta {:.1}s)",
                    frac * 100.0,
                    shown(&self.label),
                    elapsed,
                    eta
                );
            }
        }
    }

    pub fn finish(&self) {
        if self.tty {
            eprintln!();
        }
    }
}
