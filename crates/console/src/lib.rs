//! loadgen-console: what a person at a terminal sees of a run and does to it. Everything the
//! `loadgen` binary prints goes through here, for two promises scripts rely on:
//!
//! * **Printing never ends a run.** A closed pipe (`loadgen run … | head -1`) or a full
//!   device makes `println!` panic; here a failed write is dropped, so the run goes on, the
//!   result files are written and the exit code is the verdict's.
//! * **`--json-progress` keeps stdout machine-readable.** Once [`json_stdout`] is called,
//!   human text ([`say!`]) goes to stderr and stdout carries only [`data`] lines
//!   (one JSON object each).
//!
//! Besides the printing: the live output of a run (`live`: an observer of the interval
//! stream, the progress bar or plain lines; the text is `loadgen_report::live_line`'s) and
//! SIGINT/SIGTERM (`signals`). `clippy.toml` here, in the runner and in the binary forbids
//! `println!`/`print!`/`eprintln!`/`eprint!`, so nothing can bypass it. It must not know the
//! command line, a scenario or a result file.

#![forbid(unsafe_code)]

mod live;
mod signals;

pub use live::Live;
pub use signals::watch as watch_signals;

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once, before the run, by `--json-progress`.
static HUMAN_TEXT_ON_STDERR: AtomicBool = AtomicBool::new(false);

/// From now on stdout is reserved for [`data`] lines.
pub fn json_stdout() {
    HUMAN_TEXT_ON_STDERR.store(true, Ordering::Relaxed);
}

/// True once [`json_stdout`] was called.
pub fn is_json_stdout() -> bool {
    HUMAN_TEXT_ON_STDERR.load(Ordering::Relaxed)
}

fn write_to(stderr: bool, text: std::fmt::Arguments<'_>, newline: bool) {
    // A failed write is deliberately ignored: see the module doc.
    let _ = if stderr {
        emit(&mut std::io::stderr().lock(), text, newline)
    } else {
        emit(&mut std::io::stdout().lock(), text, newline)
    };
}

fn emit(out: &mut impl Write, text: std::fmt::Arguments<'_>, newline: bool) -> std::io::Result<()> {
    out.write_fmt(text)?;
    if newline {
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// Human text (banner, tables, verdict): stdout, or stderr under `--json-progress`.
pub fn human(text: std::fmt::Arguments<'_>, newline: bool) {
    write_to(is_json_stdout(), text, newline);
}

/// A machine-readable line: always stdout.
pub fn data(line: &str) {
    write_to(false, format_args!("{line}"), true);
}

/// Warnings and errors: always stderr.
pub fn warn(text: std::fmt::Arguments<'_>) {
    write_to(true, text, true);
}

/// The end of a run: the summary tables, or only the verdict line with `--quiet`.
pub fn summary(s: &loadgen_report::RunSummary, quiet: bool) {
    if quiet {
        human(format_args!("{}", s.verdict_line()), true);
    } else {
        human(format_args!("{}", s.to_text()), false);
    }
}

/// `println!` for human text that never panics (see [`human`]).
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => { $crate::human(format_args!($($arg)*), true) };
}

/// `print!` for human text that never panics (see [`human`]).
#[macro_export]
macro_rules! say_raw {
    ($($arg:tt)*) => { $crate::human(format_args!($($arg)*), false) };
}

/// `eprintln!` that never panics.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => { $crate::warn(format_args!($($arg)*)) };
}
