//! Which answer filters (`{class=…}`, `{status=…}`) go with which metric. Whether a status
//! filter can be honest for the steps it selects is `validate/thresholds.rs`'s question.

use crate::threshold_terms::{Filter, MetricKind, ThresholdError};

/// Whether `metric` (as the expression resolved it: `latency{class=connect}` with
/// `error_rate < 1%` measures errors) takes the answer filters of `filter`: `class=` goes
/// with `errors` (an error class), `requests` and `latency` (kept per class); `status=`
/// with `errors`, `requests` and `latency` (kept for the statuses a threshold names).
pub fn check_filter(metric: MetricKind, filter: &Filter) -> Result<(), ThresholdError> {
    let name = |m: MetricKind| {
        match m {
            MetricKind::ServiceTime => "service_time",
            MetricKind::Ttfb => "ttfb",
            MetricKind::Connect => "connect",
            MetricKind::TlsHandshake => "tls_handshake",
            MetricKind::ProxyConnect => "proxy_connect",
            MetricKind::IterationDuration => "iteration_duration",
            MetricKind::ScheduleLag => "schedule_lag",
            MetricKind::Checks => "checks",
            MetricKind::Dropped => "dropped",
            MetricKind::Iterations => "iterations",
            MetricKind::Custom(_) => "a custom metric",
            MetricKind::Latency | MetricKind::Errors | MetricKind::Requests => "this metric",
        }
        .to_string()
    };
    if let Some(class) = filter.class {
        match metric {
            MetricKind::Errors if !class.is_error() => {
                return Err(ThresholdError::ClassNotAnError(class.name().into()))
            }
            MetricKind::Errors | MetricKind::Requests | MetricKind::Latency => {}
            other => {
                return Err(ThresholdError::FilterNotHere {
                    filter: "class",
                    metric: name(other),
                    takes: "class= goes with errors, requests and latency",
                })
            }
        }
    }
    if filter.status.is_some() {
        match metric {
            // One histogram per kept status, over every outcome: not per class as well.
            MetricKind::Latency if filter.class.is_some() => {
                return Err(ThresholdError::FilterNotHere {
                    filter: "status",
                    metric: "latency{class=…}".into(),
                    takes: "latency takes class= or status=, not both",
                })
            }
            MetricKind::Errors | MetricKind::Requests | MetricKind::Latency => {}
            other => {
                return Err(ThresholdError::FilterNotHere {
                    filter: "status",
                    metric: name(other),
                    takes: "status= goes with errors, requests and latency",
                })
            }
        }
    }
    Ok(())
}
