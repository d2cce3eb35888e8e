//! The union of segments 0/3, 1/3, 2/3 is exactly the unsegmented schedule.

use crate::common::*;
use loadgen_engine::{
    ClosedModel, Model, OpenModel, RateStage, RateStages, RunControl, Segment, Spacing, ThinkTime,
    VuStages, Workload,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

async fn schedule_of(
    make: &dyn Fn(&Scripted) -> Workload,
    segment: Segment,
) -> Vec<(u64, u64, Duration)> {
    let script = Scripted::fixed(ms(3));
    let p = plan(make(&script));
    run_segment(&p, &script, segment, Instant::now(), &RunControl::new()).await;
    script.seen_sorted()
}

async fn assert_union_is_whole(make: &dyn Fn(&Scripted) -> Workload, by_intended_only: bool) {
    let key = |v: Vec<(u64, u64, Duration)>| -> Vec<(u64, u64, Duration)> {
        let mut v: Vec<_> = if by_intended_only {
            v.into_iter().map(|s| (0, 0, s.2)).collect()
        } else {
            v
        };
        v.sort();
        v
    };
    let whole = key(schedule_of(make, Segment::WHOLE).await);
    let mut union = Vec::new();
    for i in 0..3 {
        union.extend(schedule_of(make, Segment::new(i, 3).unwrap()).await);
    }
    let union = key(union);
    assert!(!whole.is_empty());
    assert_eq!(union.len(), whole.len());
    assert_eq!(union, whole);
}

#[tokio::test(start_paused = true)]
async fn open_model_segments_partition_the_schedule() {
    for spacing in [Spacing::Uniform, Spacing::Poisson] {
        let make = move |s: &Scripted| {
            let rate = RateStages {
                start: 10.0,
                stages: vec![RateStage {
                    duration: Duration::from_secs(2),
                    target: 300.0,
                }],
            };
            let m = OpenModel {
                rate: Arc::new(rate),
                duration: Duration::from_secs(2),
                spacing,
                max_vus: 60,
                pre_allocated_vus: 0,
                backlog: 0,
                vu_order: Default::default(),
            };
            Workload::new("o", vec!["s".into()], Model::Open(m), s.clone())
        };
        // VU ids differ with pool order; the intended starts are the schedule.
        assert_union_is_whole(&make, true).await;
    }
}

#[tokio::test(start_paused = true)]
async fn closed_model_segments_partition_the_vus_and_iterations() {
    let make = |s: &Scripted| {
        let stages = VuStages {
            start: 2,
            stages: vec![(Duration::from_secs(1), 7), (Duration::from_secs(1), 3)],
        };
        let m = ClosedModel {
            stages,
            think: ThinkTime::Fixed(ms(7)),
            iterations: None,
        };
        Workload::new("c", vec!["s".into()], Model::Closed(m), s.clone())
    };
    assert_union_is_whole(&make, false).await;
}
