//! Where the per-interval output goes: a progress bar with ETA on a terminal (the interval
//! lines scroll above it), plain lines when stdout is not a terminal (CI logs get one line per
//! interval), JSON lines, or nothing. The text is `loadgen_report::live_line`'s.

use loadgen_engine::IntervalReport;
use loadgen_report::live_line::{json_line, line};
use loadgen_report::Observer;
use std::time::Duration;

/// The live output of a run of planned length `total`.
pub struct Live {
    how: How,
    total: Duration,
}

enum How {
    Bar(indicatif::ProgressBar),
    Lines,
    Json,
    Quiet,
}

impl Live {
    pub fn new(quiet: bool, json: bool, total: Duration) -> Live {
        use std::io::IsTerminal;
        let how = if quiet {
            How::Quiet
        } else if json {
            How::Json
        } else if std::io::stdout().is_terminal() {
            let bar = indicatif::ProgressBar::new(total.as_secs().max(1));
            let style = indicatif::ProgressStyle::with_template(
                "{bar:40.cyan/blue} {pos:>4}/{len}s  ETA {eta}  {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            How::Bar(bar)
        } else {
            How::Lines
        };
        Live { how, total }
    }

    pub fn finish(&self) {
        if let How::Bar(bar) = &self.how {
            bar.finish_and_clear();
        }
    }
}

impl Observer for Live {
    fn interval(&mut self, r: &IntervalReport) {
        match &self.how {
            How::Bar(bar) => {
                bar.set_position((r.start + r.length).as_secs());
                bar.println(line(r, self.total));
            }
            How::Lines => crate::say!("{}", line(r, self.total)),
            How::Json => crate::data(&json_line(r)),
            How::Quiet => {}
        }
    }
}
