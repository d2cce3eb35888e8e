//! What the page shows, kept as the run goes: one small point per interval (bounded history),
//! the live status (totals by class and status, thresholds, saturation signs, changes) and
//! the verdict. [`Board`] is an [`Observer`] of the run's interval stream: it works once per
//! interval on the aggregator's thread, never per request, and publishes each update as one
//! server-sent event to every open page.

use loadgen_engine::{Change, CustomInfo, GaugeMerge, IntervalReport, Metrics, Outcome, StepInfo};
use loadgen_report::charts::{add_classes, names_json, ChartPoint};
use loadgen_report::{evaluate, Observer};
use loadgen_scenario::Threshold;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::sync::broadcast;

/// Most points kept per series; past it, neighbours are merged two by two.
pub const MAX_POINTS: usize = 2000;

/// Schedule lag p99 past which the generator is called saturated (as the summary does).
const LAG_LIMIT_MS: f64 = 25.0;

/// One interval (or several merged) as the charts draw it: the report's point format, which
/// the page's `charts.js` (the report's too) reads.
pub(crate) type Point = ChartPoint;

/// Merges `b`, which follows `a`: counts add and maxima stay exact; means are weighted by
/// length; a merged percentile is the larger of the two (an upper bound).
fn merge(a: &mut Point, b: &Point) {
    let (la, lb) = (a.length, b.length);
    let total = (la + lb).max(1e-9);
    for (x, y) in a.steps.iter_mut().zip(&b.steps) {
        x[0] += y[0];
        x[1] += y[1];
        for i in 2..7 {
            x[i] = x[i].max(y[i]);
        }
    }
    for (x, y) in a.classes.iter_mut().zip(&b.classes) {
        add_classes(x, y);
    }
    for (x, y) in a.workloads.iter_mut().zip(&b.workloads) {
        x[0] = (x[0] * la + y[0] * lb) / total;
        x[1] = (x[1] * la + y[1] * lb) / total;
        x[2] += y[2];
        x[3] += y[3];
        x[4] = x[4].max(y[4]);
        x[5] += y[5];
        x[6] = x[6].max(y[6]);
    }
    a.length += b.length;
}

/// The history of points, at most [`MAX_POINTS`]: when full, neighbours merge two by two
/// and each later point then covers twice as many intervals.
#[derive(Debug, Default)]
pub(crate) struct History {
    points: Vec<Point>,
    /// Intervals per stored point.
    span: usize,
    /// The newest stored point's interval count, while it fills up to `span`.
    filling: usize,
}

impl History {
    pub fn push(&mut self, p: Point) {
        let span = self.span.max(1);
        match self.points.last_mut() {
            Some(last) if self.filling < span => {
                merge(last, &p);
                self.filling += 1;
            }
            _ => {
                self.points.push(p);
                self.filling = 1;
            }
        }
        if self.points.len() > MAX_POINTS {
            let old = std::mem::take(&mut self.points);
            let mut it = old.into_iter();
            while let Some(mut a) = it.next() {
                if let Some(b) = it.next() {
                    merge(&mut a, &b);
                }
                self.points.push(a);
            }
            self.span = span * 2;
            // The newest point may now hold fewer intervals than a span: let it fill up.
            self.filling = span;
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.points.len()
    }

    fn to_json(&self) -> Value {
        Value::Array(self.points.iter().map(Point::to_json).collect())
    }
}

/// Everything a page needs, shared by the observer and the server.
#[derive(Debug)]
pub(crate) struct State {
    pub names: Value,
    pub history: History,
    pub status: Value,
    pub verdict: Option<String>,
}

impl State {
    /// The first message a page gets: names, the history so far, the status, the verdict.
    pub fn hello(&self) -> String {
        json!({
            "names": self.names,
            "history": self.history.to_json(),
            "status": self.status,
            "verdict": self.verdict,
        })
        .to_string()
    }
}

/// Shared between the observer (one writer, once per interval) and the server's pages.
pub(crate) type Shared = Arc<Mutex<State>>;

/// The run as the dashboard follows it: an [`Observer`] of the interval stream.
pub struct Board {
    pub(crate) shared: Shared,
    pub(crate) events: broadcast::Sender<Arc<str>>,
    thresholds: Vec<Threshold>,
    steps: Vec<StepInfo>,
    custom: Vec<CustomInfo>,
    workloads: Vec<String>,
    totals: Metrics,
    elapsed: Duration,
    changes: Vec<Value>,
    saturation: Vec<String>,
    workers: Vec<WorkerLine>,
}

/// One worker of a fleet, as the coordinator's page lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerLine {
    /// Its address.
    pub addr: String,
    /// Its segment (`i/n`).
    pub segment: String,
    /// `running`, `done` or `lost`.
    pub state: &'static str,
    /// Why it was lost (empty otherwise).
    pub why: String,
    /// Requests per second in its last interval.
    pub rate: f64,
    /// Requests so far.
    pub requests: u64,
    /// Errors so far.
    pub errors: u64,
}

impl Board {
    /// A board for a run of `steps`, `workloads` and `custom` metrics judged by `thresholds`.
    pub fn new(
        steps: Vec<StepInfo>,
        workloads: Vec<String>,
        custom: Vec<CustomInfo>,
        thresholds: Vec<Threshold>,
    ) -> Board {
        let names = names_json(&steps, &workloads);
        let (events, _) = broadcast::channel(256);
        let b = Board {
            shared: Arc::new(Mutex::new(State {
                names,
                history: History::default(),
                status: Value::Null,
                verdict: None,
            })),
            events,
            thresholds,
            steps,
            custom,
            workloads,
            totals: Metrics::default(),
            elapsed: Duration::ZERO,
            changes: Vec::new(),
            saturation: Vec::new(),
            workers: Vec::new(),
        };
        let status = b.status();
        b.state().status = status;
        b
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A page that panicked mid-read cannot leave the state half-written: keep serving.
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn publish(&self, event: &str, data: &Value) {
        // No page open is not an error.
        let _ = self
            .events
            .send(format!("event: {event}\ndata: {data}\n\n").into());
    }

    /// Totals by class and status, thresholds, saturation signs and changes, as of now.
    fn status(&self) -> Value {
        let t = &self.totals;
        let steps: Vec<Value> = t
            .steps
            .iter()
            .map(|s| {
                let classes: serde_json::Map<String, Value> = Outcome::ALL
                    .iter()
                    .filter(|o| s.count(**o) > 0)
                    .map(|o| (o.name().to_string(), json!(s.count(*o))))
                    .collect();
                json!({
                    "count": s.total(),
                    "errors": s.errors(),
                    "classes": classes,
                    "statuses": s.statuses.iter().map(|(c, n)| json!([c, n])).collect::<Vec<_>>(),
                })
            })
            .collect();
        let thresholds: Vec<Value> = self
            .thresholds
            .iter()
            .map(|th| {
                let r = evaluate(th, t, &self.steps, &self.custom, self.elapsed);
                let state = match (r.measured, r.passed) {
                    _ if t.steps.is_empty() || self.elapsed.is_zero() => "no data yet",
                    (None, _) => "no data yet",
                    (Some(_), true) => "passing",
                    (Some(_), false) => "failing",
                };
                json!({
                    "name": format!("{}: {}", th.key, th.expression),
                    "state": state,
                    "value": r.measured_display(),
                })
            })
            .collect();
        let dropped: u64 = t.workloads.iter().map(|w| w.dropped).sum();
        let skipped: u64 = t.workloads.iter().map(|w| w.skipped_paused).sum();
        json!({
            "elapsed": self.elapsed.as_secs_f64(),
            "requests": t.total_requests(),
            "errors": t.total_errors(),
            "dropped": dropped,
            "skipped_paused": skipped,
            "steps": steps,
            "workloads": self.workloads,
            "thresholds": thresholds,
            "saturation": self.saturation,
            "changes": self.changes,
            "workers": self.workers.iter().map(|w| json!({
                "addr": w.addr,
                "segment": w.segment,
                "state": w.state,
                "why": w.why,
                "rate": (w.rate * 10.0).round() / 10.0,
                "requests": w.requests,
                "errors": w.errors,
            })).collect::<Vec<_>>(),
        })
    }

    /// A fleet's workers as of now (the coordinator calls it before each merged interval):
    /// the page lists them with the next interval; a worker that went from running to lost
    /// is published at once.
    pub fn workers(&mut self, lines: Vec<WorkerLine>) {
        let newly_lost = lines
            .iter()
            .zip(&self.workers)
            .any(|(now, before)| now.state == "lost" && before.state != "lost");
        self.workers = lines;
        if newly_lost {
            let status = self.status();
            self.state().status = status.clone();
            self.publish("status", &status);
        }
    }
}

impl Observer for Board {
    fn started(&mut self, _at: SystemTime) {}

    fn change(&mut self, c: &Change) {
        let v = json!({"at": c.at.as_secs_f64(), "who": c.who, "what": c.what.to_string()});
        self.changes.push(v.clone());
        self.publish("change", &v);
    }

    fn interval(&mut self, r: &IntervalReport) {
        if self.totals.steps.is_empty() {
            self.totals = r.metrics.clone();
        } else {
            self.totals.add(&r.metrics, GaugeMerge::Max);
        }
        self.elapsed = r.start + r.length;
        let point = Point::of(r);
        for (w, name) in point.workloads.iter().zip(&self.workloads) {
            let sign = if w[2] > 0.0 {
                Some(format!(
                    "{name}: {} arrivals dropped at {:.0}s",
                    w[2], point.start
                ))
            } else if w[4] > LAG_LIMIT_MS {
                Some(format!(
                    "{name}: schedule lag p99 {:.1} ms at {:.0}s (over {LAG_LIMIT_MS} ms)",
                    w[4], point.start
                ))
            } else {
                None
            };
            if let Some(s) = sign {
                if self.saturation.len() < 20 {
                    self.saturation.push(s);
                }
            }
        }
        let status = self.status();
        let data = json!({"point": point.to_json(), "status": status});
        {
            let mut st = self.state();
            st.history.push(point);
            st.status = status;
        }
        self.publish("interval", &data);
    }

    fn finished(&mut self, verdict_line: &str) {
        self.state().verdict = Some(verdict_line.to_string());
        self.publish("end", &json!({ "verdict": verdict_line }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(i: usize) -> Point {
        Point {
            start: i as f64,
            length: 1.0,
            steps: vec![[10.0, 1.0, 1.0, 2.0, 3.0, i as f64, 5.0]],
            classes: vec![vec![(5, 1)]],
            workloads: vec![[2.0, 4.0, 0.0, 1.0, 0.5, 0.0, 3.0]],
        }
    }

    #[test]
    fn a_worker_lost_is_published_at_once_and_listed_in_the_status() {
        let mut b = Board::new(Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut rx = b.events.subscribe();
        let line = |state: &'static str| WorkerLine {
            addr: "127.0.0.2:7878".into(),
            segment: "0/2".into(),
            state,
            why: String::new(),
            rate: 24.96,
            requests: 100,
            errors: 1,
        };
        b.workers(vec![line("running")]);
        assert!(
            rx.try_recv().is_err(),
            "running lines wait for the next interval"
        );
        b.workers(vec![line("lost")]);
        let event = rx.try_recv().unwrap();
        assert!(event.starts_with("event: status\n"), "{event}");
        assert!(event.contains("\"state\":\"lost\""), "{event}");
        let hello = b.state().hello();
        assert!(hello.contains("\"rate\":25.0"), "{hello}");
    }

    #[test]
    fn history_stays_bounded_and_merging_keeps_counts_exact() {
        let mut h = History::default();
        let n = 5 * MAX_POINTS + 3;
        for i in 0..n {
            h.push(point(i));
        }
        assert!(h.len() <= MAX_POINTS, "{}", h.len());
        assert!(h.len() > MAX_POINTS / 4);
        let count: f64 = h.points.iter().map(|p| p.steps[0][0]).sum();
        let length: f64 = h.points.iter().map(|p| p.length).sum();
        assert_eq!(count, 10.0 * n as f64, "counts add exactly");
        assert_eq!(length, n as f64);
        let skipped: f64 = h.points.iter().map(|p| p.workloads[0][3]).sum();
        assert_eq!(skipped, n as f64);
        let timeouts: u64 = h.points.iter().map(|p| p.classes[0][0].1).sum();
        assert_eq!(timeouts, n as u64, "classes add exactly");
        assert_eq!(
            h.points.last().unwrap().steps[0][5],
            (n - 1) as f64,
            "p99 upper bound"
        );
        assert!(
            (h.points[0].workloads[0][1] - 4.0).abs() < 1e-9,
            "means stay means"
        );
    }
}
