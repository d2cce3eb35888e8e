//! Result files written while a run goes on, one interval at a time (memory stays flat):
//! `timeseries.csv` and HdrHistogram interval logs (`latency.hlog`), plus `junit.xml` at
//! the end.
//!
//! `timeseries.csv` has one row per interval and step. An interval holds what *completed* in
//! it; the last one runs from its start to the end of the load (its `interval_length_s` may
//! be shorter than the others) and also holds what the graceful stop let finish, so the rows'
//! `count` add up to the summary's. `rate` is `count / interval_length_s`. The VU columns are
//! per workload (repeated on each of its steps): `vus_busy_*` counts VUs inside an iteration,
//! `vus_online_*` VUs the workload has on (closed model: from the stages turning a VU on until
//! it leaves, think time included; open model: the VU pool); `_mean` is the time-weighted
//! mean over the interval, `_peak` the most at once (with several worker threads, the sum of
//! the threads' peaks: an upper bound).
//!
//! `latency.hlog` is the standard HdrHistogram interval log (V2 compressed histograms,
//! base64, one line per interval and tag). Values are **microseconds**; each line's tag is
//! `latency.<workload>.<step>` (every outcome), and `service.<workload>.<step>` holds service
//! times. Decode it with any HdrHistogram library (Java `HistogramLogReader`, Python
//! `hdrhistogram`'s `HistogramLogReader`, Rust `hdrhistogram::serialization::interval_log`).

use base64::Engine;
use hdrhistogram::serialization::{Serializer, V2DeflateSerializer};
use loadgen_engine::{Histogram, IntervalReport, StepInfo};
use loadgen_judge::ThresholdResult;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::SystemTime;

/// Streams interval results into a results folder.
pub struct ResultsWriter {
    timeseries: BufWriter<File>,
    hlog: BufWriter<File>,
    steps: Vec<StepInfo>,
    serializer: V2DeflateSerializer,
    scratch: Vec<u8>,
    /// Changes by hand that fall in the next interval written: its rows carry them.
    marks: Vec<String>,
}

/// Tag-safe name (HdrHistogram tags may not hold commas, spaces or `=`).
fn tag_part(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl ResultsWriter {
    /// Creates `timeseries.csv` and `latency.hlog` in `dir` (which must exist).
    pub fn create(dir: &Path, steps: &[StepInfo], started_at: SystemTime) -> io::Result<Self> {
        let start_secs = started_at
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let mut timeseries =
            BufWriter::new(crate::out_file::create_new(&dir.join("timeseries.csv"))?);
        writeln!(
            timeseries,
            "interval_start_s,interval_length_s,workload,step,count,rate,errors,expected_failures,p50_ms,p90_ms,p95_ms,p99_ms,max_ms,vus_busy_mean,vus_busy_peak,vus_online_mean,vus_online_peak,dropped,skipped_paused,changes"
        )?;
        let mut hlog = BufWriter::new(crate::out_file::create_new(&dir.join("latency.hlog"))?);
        writeln!(
            hlog,
            "#[loadgen {} interval log; values in microseconds]",
            env!("CARGO_PKG_VERSION")
        )?;
        writeln!(hlog, "#[StartTime: {start_secs:.3} (seconds since epoch)]")?;
        writeln!(hlog, "#[BaseTime: {start_secs:.3} (seconds since epoch)]")?;
        writeln!(hlog, "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"")?;
        Ok(ResultsWriter {
            timeseries,
            hlog,
            steps: steps.to_vec(),
            serializer: V2DeflateSerializer::new(),
            scratch: Vec::new(),
            marks: Vec::new(),
        })
    }

    fn hlog_line(&mut self, tag: &str, start: f64, length: f64, h: &Histogram) -> io::Result<()> {
        self.scratch.clear();
        self.serializer
            .serialize(h, &mut self.scratch)
            .map_err(|e| io::Error::other(format!("histogram encoding: {e:?}")))?;
        let encoded = base64::engine::general_purpose::STANDARD.encode(&self.scratch);
        // Interval_Max is in the log's value unit divided by the max-value divisor (1 here).
        writeln!(
            self.hlog,
            "Tag={tag},{start:.3},{length:.3},{}.000,{encoded}",
            h.max()
        )
    }

    /// A change by hand: the rows of the next interval (the one its instant falls in) carry
    /// it in `changes` as `what@seconds by who`.
    pub fn change(&mut self, c: &crate::run_info::ChangeRecord) {
        self.marks
            .push(format!("{}@{:.3}s by {}", c.what, c.at_s, c.who));
    }

    /// Appends one interval to `timeseries.csv` and `latency.hlog`.
    pub fn interval(&mut self, r: &IntervalReport) -> io::Result<()> {
        let marks = csv(&self.marks.join("; "));
        self.marks.clear();
        let start = r.start.as_secs_f64();
        let length = r.length.as_secs_f64().max(1e-3);
        for (i, m) in r.metrics.steps.iter().enumerate() {
            let info = &self.steps[i];
            let lat = m.latency_all();
            let w = &r.metrics.workloads[info.workload];
            let q = |p: f64| {
                if lat.is_empty() {
                    0.0
                } else {
                    lat.value_at_quantile(p) as f64 / 1e3
                }
            };
            writeln!(
                self.timeseries,
                "{start:.3},{length:.3},{},{},{},{:.3},{},{},{:.3},{:.3},{:.3},{:.3},{:.3},{:.2},{},{:.2},{},{},{},{}",
                csv(&info.workload_name),
                csv(&info.name),
                m.total(),
                m.total() as f64 / length,
                m.errors(),
                m.count(loadgen_engine::Outcome::ExpectedFailure),
                q(0.5),
                q(0.9),
                q(0.95),
                q(0.99),
                if lat.is_empty() {
                    0.0
                } else {
                    lat.max() as f64 / 1e3
                },
                w.mean_active_vus(r.length),
                w.peak_active_vus,
                w.mean_online_vus(r.length),
                w.peak_online_vus,
                w.dropped,
                w.skipped_paused,
                marks
            )?;
            let tag = format!("{}.{}", tag_part(&info.workload_name), tag_part(&info.name));
            self.hlog_line(&format!("latency.{tag}"), start, length, &lat)?;
            self.hlog_line(&format!("service.{tag}"), start, length, &m.service)?;
        }
        Ok(())
    }

    /// Flushes both files.
    pub fn finish(mut self) -> io::Result<()> {
        self.timeseries.flush()?;
        self.hlog.flush()
    }
}

fn csv(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `junit.xml`: one test case per threshold; a failure carries the measured value and limit.
/// An `incomplete` run (a lost worker) adds a failed case `run complete` with the reason, so
/// a CI system that reads only this file fails the job too.
pub fn junit(
    scenario: &str,
    results: &[ThresholdResult],
    elapsed_secs: f64,
    incomplete: Option<&str>,
) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let extra = usize::from(incomplete.is_some());
    let tests = results.len() + extra;
    let failures = results.iter().filter(|r| !r.passed).count() + extra;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"loadgen\" tests=\"{tests}\" failures=\"{failures}\" time=\"{elapsed_secs:.3}\">\n  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" time=\"{elapsed_secs:.3}\">\n",
        esc(scenario),
    ));
    if let Some(why) = incomplete {
        out.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"run complete\">\n      <failure message=\"{}\" type=\"incomplete\">{}</failure>\n    </testcase>\n",
            esc(scenario),
            esc(why),
            esc(why),
        ));
    }
    for r in results {
        let name = esc(&format!("{}: {}", r.key, r.expression));
        if r.passed {
            out.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{name}\"/>\n",
                esc(scenario)
            ));
        } else {
            out.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{name}\">\n      <failure message=\"{}: measured {}, limit {}\" type=\"threshold\">{}: {} — measured {}, limit {}</failure>\n    </testcase>\n",
                esc(scenario),
                esc(&r.expression),
                esc(&r.measured_display()),
                esc(&r.limit_display()),
                esc(&r.key),
                esc(&r.expression),
                esc(&r.measured_display()),
                esc(&r.limit_display()),
            ));
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
