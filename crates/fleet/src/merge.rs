//! Merging result parts (segments of one plan) into one run: checks that they belong
//! together, aligns intervals by wall-clock start and adds every counter and histogram
//! exactly (merged counts are the sum of the parts). The parts' intervals are read from
//! their files in step, one merged interval at a time: memory does not grow with the run.

use crate::error::FleetError;
use crate::part::{PartIntervals, RunPart};
use loadgen_engine::{GaugeMerge, IntervalReport, Metrics, Segment};
use loadgen_report::IntervalLine;
use loadgen_report::{rfc3339, unix_ns, RunInfo};
use std::time::{Duration, SystemTime};

/// How strict a merge is.
#[derive(Debug, Clone, Copy, Default)]
pub struct MergeOptions {
    /// Merge even if segments of the plan are missing (the coverage is reported).
    pub allow_partial: bool,
}

/// Which share of the plan a set of segments covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    /// Share of the planned load held by the parts (1.0 = the whole plan).
    pub share: f64,
    /// Segments of the plan that no part holds (`i/n`), when they can be named.
    pub missing: Vec<String>,
}

/// Parts being merged into one run: the merged intervals come one at a time (it is an
/// iterator of them, in order), each built from the parts' lines for its index as they are
/// read from their files. Memory: one line per part, the interval being built and the
/// running totals, whatever the length of the run.
pub struct Merged<'p> {
    /// `run.json` of the merged folder (segments of every part, missing ones named).
    pub info: RunInfo,
    /// How many intervals the merge has (from the earliest part's origin to the last end).
    pub intervals: u64,
    /// Origin of the merge (the earliest part's origin).
    pub started_at: SystemTime,
    /// From the origin to the last part's end.
    pub elapsed: Duration,
    /// True if any part stopped early.
    pub stopped_early: bool,
    /// How much of the plan the parts hold.
    pub coverage: Coverage,
    totals: Metrics,
    empty: Metrics,
    interval: Duration,
    next: u64,
    cursors: Vec<Cursor<'p>>,
}

impl std::fmt::Debug for Merged<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Merged")
            .field("segments", &self.info.segments)
            .field("intervals", &self.intervals)
            .field("next", &self.next)
            .field("elapsed", &self.elapsed)
            .field("coverage", &self.coverage)
            .finish_non_exhaustive()
    }
}

/// One part's lines, with the merged index of the next one.
struct Cursor<'p> {
    lines: PartIntervals<'p>,
    shift: Duration,
    head: Option<(u64, IntervalLine)>,
}

impl Cursor<'_> {
    fn advance(&mut self, interval: Duration) -> Result<(), FleetError> {
        self.head = match self.lines.next().transpose()? {
            Some(l) => Some((bucket(self.shift, l.start_us, interval), l)),
            None => None,
        };
        Ok(())
    }
}

/// The merged index of a part's line starting `start_us` after its origin, `shift` after
/// the merge's: the nearest interval boundary, so parts started at one instant land on
/// equal indices and parts a few ms apart still line up.
fn bucket(shift: Duration, start_us: u64, interval: Duration) -> u64 {
    let at = shift + Duration::from_micros(start_us);
    ((at.as_secs_f64() / interval.as_secs_f64()) + 0.5).floor() as u64
}

impl Merged<'_> {
    /// Every interval merged so far added up (gauges: their peak): the run's totals once
    /// every interval has been taken.
    pub fn totals(&self) -> &Metrics {
        &self.totals
    }

    /// The merged run's final report, as one run of the whole plan would have returned it
    /// (call it once every interval has been taken).
    pub fn final_report(&self) -> loadgen_engine::FinalReport {
        loadgen_engine::FinalReport {
            started_at: self.started_at,
            elapsed: self.elapsed,
            totals: self.totals.clone(),
            stopped_early: self.stopped_early,
            intervals: self.intervals,
            worker_cpu: Vec::new(),
            results_wait: Default::default(),
        }
    }

    /// Lines held now, read ahead of the interval being merged (at most one per part).
    pub fn held_lines(&self) -> usize {
        self.cursors.iter().filter(|c| c.head.is_some()).count()
    }

    fn build(&mut self, k: u64) -> Result<IntervalReport, FleetError> {
        let mut metrics = self.empty.clone();
        let mut length = Duration::ZERO;
        for c in &mut self.cursors {
            while let Some((_, l)) = c.head.as_ref().filter(|(at, _)| *at <= k) {
                let r = l.decode()?;
                metrics.add(&r.metrics, GaugeMerge::Sum);
                length = length.max(r.length);
                c.advance(self.interval)?;
            }
        }
        if length.is_zero() {
            length = self.interval;
        }
        self.totals.add(&metrics, GaugeMerge::Max);
        Ok(IntervalReport {
            index: k,
            start: self.interval * k as u32,
            length,
            metrics,
        })
    }
}

impl Iterator for Merged<'_> {
    type Item = Result<IntervalReport, FleetError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.intervals {
            return None;
        }
        let k = self.next;
        self.next += 1;
        let r = self.build(k);
        if r.is_err() {
            self.next = self.intervals;
        }
        Some(r)
    }
}

/// A warning when `parts` were written by different loadgen versions: their metrics files
/// share one format, but the runs may not be comparable.
pub fn mixed_versions(parts: &[RunPart]) -> Option<String> {
    let versions: std::collections::BTreeSet<&str> = parts
        .iter()
        .map(|p| p.info.loadgen_version.as_str())
        .collect();
    (versions.len() > 1).then(|| {
        format!(
            "the folders were written by different loadgen versions ({}); their metrics files \
             share one format, but the runs may not be comparable",
            versions.into_iter().collect::<Vec<_>>().join(", ")
        )
    })
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// True if segments `a` and `b` share an item: `x ≡ a.index (mod a.count)` and
/// `x ≡ b.index (mod b.count)` have a common solution iff the indices agree modulo the gcd.
pub fn overlap(a: Segment, b: Segment) -> bool {
    let g = gcd(a.count, b.count);
    a.index % g == b.index % g
}

/// The share of the plan that `segments` (pairwise disjoint) cover, and the missing ones.
pub fn coverage(segments: &[Segment]) -> Coverage {
    let share: f64 = segments.iter().map(|s| 1.0 / s.count as f64).sum();
    let mut missing = Vec::new();
    if let Some(first) = segments.first() {
        if segments.iter().all(|s| s.count == first.count) {
            for i in 0..first.count.min(100_000) {
                if !segments.iter().any(|s| s.index == i) {
                    missing.push(format!("{i}/{}", first.count));
                }
            }
        } else if share < 1.0 - 1e-9 {
            missing.push(format!("{:.1}% of the plan", (1.0 - share) * 100.0));
        }
    }
    Coverage { share, missing }
}

/// Checks that `parts` can be merged; returns their segments in part order.
fn check(parts: &[RunPart], opts: MergeOptions) -> Result<(Vec<Segment>, Coverage), FleetError> {
    let first = parts
        .first()
        .ok_or_else(|| FleetError::Refused("nothing to merge".into()))?;
    let name = |p: &RunPart| p.dir.display().to_string();
    for p in &parts[1..] {
        if p.info.plan_hash != first.info.plan_hash {
            return Err(FleetError::Refused(format!(
                "{} and {} ran different plans (plan hash {} vs {}): same scenario file, \
                 --duration and --seed are needed",
                name(first),
                name(p),
                &first.info.plan_hash[..12.min(first.info.plan_hash.len())],
                &p.info.plan_hash[..12.min(p.info.plan_hash.len())]
            )));
        }
        if p.info.layout != first.info.layout || p.info.interval_ms != first.info.interval_ms {
            return Err(FleetError::Refused(format!(
                "{} and {} have different metric layouts or intervals",
                name(first),
                name(p)
            )));
        }
    }
    let mut owned: Vec<(Segment, &RunPart)> = Vec::new();
    for p in parts {
        let segs = p
            .info
            .parsed_segments()
            .map_err(|e| FleetError::Refused(format!("{}: run.json segments: {e}", name(p))))?;
        for s in segs {
            if let Some((o, q)) = owned.iter().find(|(o, _)| overlap(*o, s)) {
                let what = if *o == s { "duplicate" } else { "overlapping" };
                return Err(FleetError::Refused(format!(
                    "{what} segments: {o} in {} and {s} in {}",
                    name(q),
                    name(p)
                )));
            }
            owned.push((s, p));
        }
    }
    let segments: Vec<Segment> = owned.iter().map(|(s, _)| *s).collect();
    let mut cov = coverage(&segments);
    // Segments a part's run already knew it lacked (a lost live worker) stay missing.
    for p in parts {
        cov.missing.extend(p.info.missing_segments.iter().cloned());
    }
    if cov.share < 1.0 - 1e-9 && !opts.allow_partial {
        return Err(FleetError::Refused(format!(
            "segments missing: {} (the parts hold {:.1}% of the planned load; \
             --allow-partial merges them anyway)",
            cov.missing.join(", "),
            cov.share * 100.0
        )));
    }
    Ok((segments, cov))
}

/// Merges `parts` (each a segment of one plan) into one run: checks that they belong
/// together and returns the merge, whose intervals are read from the parts' files as they
/// are taken.
pub fn merge(parts: &[RunPart], opts: MergeOptions) -> Result<Merged<'_>, FleetError> {
    let (segments, coverage) = check(parts, opts)?;
    // Each part's counts were bounded when it was read; together they must be too (every
    // sum below is then a sum of a subset: see `bounds`).
    let mut mass = 0u64;
    for p in parts {
        mass = crate::bounds::add_mass(mass, p.mass).ok_or_else(|| {
            FleetError::Refused(format!(
                "{}: its counts and those of the parts before it add up past 2^63",
                p.dir.join(loadgen_report::METRICS_FILE).display()
            ))
        })?;
    }
    let first = &parts[0].info;
    let interval = Duration::from_millis(first.interval_ms.max(1));
    let origin = parts
        .iter()
        .map(|p| p.info.started_at_time())
        .min()
        .expect("at least one part");
    let kinds = first.layout.custom_kinds();
    let empty = Metrics::shaped(
        first.layout.steps.len(),
        first.layout.workloads.len(),
        &kinds,
    );
    let mut elapsed = Duration::ZERO;
    let mut last: Option<u64> = None;
    let mut cursors = Vec::with_capacity(parts.len());
    for p in parts {
        let shift = p
            .info
            .started_at_time()
            .duration_since(origin)
            .unwrap_or_default();
        if let Some(s) = p.last_start_us {
            let k = bucket(shift, s, interval);
            last = Some(last.map_or(k, |l| l.max(k)));
        }
        let part_end = match p.info.elapsed_s {
            Some(s) => shift + Duration::from_secs_f64(s.max(0.0)),
            None => shift + Duration::from_micros(p.end_us),
        };
        elapsed = elapsed.max(part_end);
        let mut c = Cursor {
            lines: p.intervals()?,
            shift,
            head: None,
        };
        c.advance(interval)?;
        cursors.push(c);
    }
    if let Some(last) = last.filter(|l| *l > crate::bounds::MAX_INTERVALS) {
        return Err(FleetError::Refused(format!(
            "the parts span {last} intervals ({:.0}s from the earliest start to the latest end); \
             a merge spans at most {}",
            elapsed.as_secs_f64(),
            crate::bounds::MAX_INTERVALS
        )));
    }
    let mut info = first.clone();
    info.segments = segments.iter().map(|s| s.to_string()).collect();
    info.started_at_unix_ns = unix_ns(origin);
    info.started_at = rfc3339(origin);
    info.elapsed_s = Some(elapsed.as_secs_f64());
    info.stopped_early = parts.iter().any(|p| p.info.stopped_early);
    info.missing_segments = if coverage.share < 1.0 - 1e-9 {
        coverage.missing.clone()
    } else {
        Vec::new()
    };
    Ok(Merged {
        stopped_early: info.stopped_early,
        info,
        intervals: last.map_or(0, |l| l + 1),
        totals: empty.clone(),
        empty,
        interval,
        next: 0,
        cursors,
        started_at: origin,
        elapsed,
        coverage,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(s: &str) -> Segment {
        s.parse().unwrap()
    }

    #[test]
    fn overlap_follows_the_residues() {
        assert!(overlap(seg("1/3"), seg("1/3")));
        assert!(!overlap(seg("0/3"), seg("1/3")));
        assert!(overlap(seg("0/2"), seg("2/4")));
        assert!(!overlap(seg("1/2"), seg("2/4")));
        // 0/2 and 0/3 share item 0.
        assert!(overlap(seg("0/2"), seg("0/3")));
    }

    #[test]
    fn coverage_names_what_is_missing() {
        let c = coverage(&[seg("0/4"), seg("2/4")]);
        assert!((c.share - 0.5).abs() < 1e-9);
        assert_eq!(c.missing, vec!["1/4".to_string(), "3/4".to_string()]);
        let full = coverage(&[seg("0/2"), seg("1/4"), seg("3/4")]);
        assert!((full.share - 1.0).abs() < 1e-9);
    }
}
