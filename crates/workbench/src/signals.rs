//! SIGINT, SIGTERM and SIGHUP end a run cleanly: its temporaries (the staged
//! output folders, half-written cache files) are removed and the previous
//! output stays as it was. The signals are blocked in every thread and
//! taken by one waiting thread, so the handler may lock and allocate; it
//! waits for a folder swap in progress to finish.

/// The signals that end a run; exit status 128 + the signal, as a shell's.
#[cfg(unix)]
const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// Blocks the signals in this thread (so in every thread it spawns from now
/// on) and starts the thread that takes them. Call first thing in main.
#[cfg(unix)]
pub fn install() {
    // SAFETY: sigset_t is plain data initialised by sigemptyset; the calls
    // only read the set.
    let set = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for s in SIGNALS {
            libc::sigaddset(&mut set, s);
        }
        if libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
            return;
        }
        set
    };
    let spawned = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let mut sig: libc::c_int = 0;
            // SAFETY: `set` lives in this closure; sigwait writes `sig`.
            while unsafe { libc::sigwait(&set, &mut sig) } != 0 {}
            let _swap_done = geotraj_records::cleanup::critical();
            geotraj_records::cleanup::remove_tracked(|removed| {
                let files = if removed == 1 { "temporary" } else { "temporaries" };
                eprintln!(
                    "\ninterrupted (signal {sig}): removed {removed} {files}; earlier outputs are untouched"
                );
            });
            // At once: other threads are still running, and must not write
            // (or exit handlers run) after the clean-up.
            // SAFETY: _exit ends the process; nothing runs after it.
            unsafe { libc::_exit(128 + sig) }
        });
    if spawned.is_err() {
        // Without the taker, restore the default action rather than ignore signals.
        // SAFETY: as above.
        unsafe { libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut()) };
    }
}

#[cfg(not(unix))]
pub fn install() {}

/// Exits with `code`, unless an interruption is being handled: then it
/// waits for the handler, which exits with its own code. Without this a
/// run failing because its staged folder just vanished could end the
/// process halfway through the clean-up.
pub fn exit(code: i32) -> ! {
    let _no_cleanup_in_progress = geotraj_records::cleanup::critical();
    std::process::exit(code)
}
