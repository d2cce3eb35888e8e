use loadgen_engine::{
    run_shard, Iteration, Metrics, Outcome, Plan, Recorder, RunControl, Segment, Session,
    SessionFactory, StepSample, VuInfo, Workload,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// What one iteration saw: (vu, iteration number, intended offset from origin).
pub type Seen = Arc<Mutex<Vec<(u64, u64, Duration)>>>;

/// A scripted session: each iteration "takes" `service(vu, n)` (a tokio sleep) and succeeds.
#[derive(Clone)]
pub struct Scripted {
    pub service: Arc<dyn Fn(u64, u64) -> Duration + Send + Sync>,
    pub seen: Seen,
    pub origin: Arc<Mutex<Option<Instant>>>,
    /// How long a warm-up takes (none when `None`), and how many finished.
    pub warm_up: Option<Duration>,
    pub warmed: Arc<AtomicU64>,
}

impl Scripted {
    pub fn fixed(d: Duration) -> Self {
        Self::with(move |_, _| d)
    }

    pub fn with(f: impl Fn(u64, u64) -> Duration + Send + Sync + 'static) -> Self {
        Scripted {
            service: Arc::new(f),
            seen: Arc::default(),
            origin: Arc::default(),
            warm_up: None,
            warmed: Arc::default(),
        }
    }

    pub fn warming_up_for(mut self, d: Duration) -> Self {
        self.warm_up = Some(d);
        self
    }

    pub fn seen_sorted(&self) -> Vec<(u64, u64, Duration)> {
        let mut v = self.seen.lock().unwrap().clone();
        v.sort();
        v
    }
}

pub struct ScriptedSession {
    vu: u64,
    script: Scripted,
}

impl SessionFactory for Scripted {
    type Session = ScriptedSession;
    fn session(&self, vu: VuInfo) -> ScriptedSession {
        ScriptedSession {
            vu: vu.id,
            script: self.clone(),
        }
    }
}

impl Session for ScriptedSession {
    async fn warm_up(&mut self) {
        if let Some(d) = self.script.warm_up {
            tokio::time::sleep(d).await;
            self.script.warmed.fetch_add(1, Ordering::SeqCst);
        }
    }

    async fn iteration(&mut self, it: &Iteration<'_>) {
        let origin = self.script.origin.lock().unwrap().expect("origin set");
        self.script
            .seen
            .lock()
            .unwrap()
            .push((it.vu, it.number, it.intended - origin));
        let sent = Instant::now();
        tokio::time::sleep((self.script.service)(self.vu, it.number)).await;
        it.record(&StepSample {
            step: 0,
            outcome: Outcome::Success,
            intended: it.intended,
            sent,
            first_byte: None,
            done: Instant::now(),
            connect: None,
        });
    }
}

pub fn plan(workload: Workload) -> Plan {
    Plan {
        name: "test".into(),
        seed: 42,
        workloads: vec![workload],
    }
}

/// Runs one segment of `plan` on the current (paused) runtime starting at `origin`.
pub async fn run_segment(
    plan: &Plan,
    script: &Scripted,
    segment: Segment,
    origin: Instant,
    control: &RunControl,
) -> Metrics {
    *script.origin.lock().unwrap() = Some(origin);
    let recorder = Recorder::new(plan.steps().len(), plan.workloads.len());
    let local = tokio::task::LocalSet::new();
    local
        .run_until(run_shard(
            plan,
            segment,
            origin,
            control,
            Duration::from_secs(2),
            loadgen_engine::DEFAULT_ARRIVAL_GRANULARITY,
            &recorder,
        ))
        .await;
    recorder.take()
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}
