//! The HTTP slice as validated: an HTTP workload is its steps, each a request template, the
//! checks on its answer and the values it captures for later steps.

/// `[[workload.step]]`s with `http = {…}`: run in order by every iteration.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpWorkload {
    /// The steps, in file order.
    pub steps: Vec<StepSpec>,
}

impl HttpWorkload {
    /// Every capture name of the workload, in file order (its capture slots).
    pub fn capture_names(&self) -> Vec<&str> {
        self.steps
            .iter()
            .flat_map(|s| s.captures.iter().map(|c| c.name.as_str()))
            .collect()
    }

    /// The step names results are kept under: the steps, then one re-login step per
    /// once-per-VU step (`NAME-relogin`, what a 401 runs again) when some step is not once per
    /// VU — `loadgen_http::HttpFactory::relogin_steps`'s order.
    pub fn step_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.steps.iter().map(|s| s.name.clone()).collect();
        if self.steps.iter().any(|s| !s.once_per_vu) {
            names.extend(
                self.steps
                    .iter()
                    .filter(|s| s.once_per_vu)
                    .map(|s| format!("{}-relogin", s.name)),
            );
        }
        names
    }

    /// Requests one iteration sends at most (a worker's `--max-rate` bound): each step with
    /// the redirects it may follow (its own `follow_redirects`, else `default_redirects`, the
    /// `[http]` one), as often as a repeated step can repeat in its longest session, and the
    /// re-login steps once more (what a 401 adds).
    pub fn requests_per_iteration(&self, default_redirects: u8) -> u64 {
        use loadgen_engine::ThinkTime;
        let longest = |t: &ThinkTime| match *t {
            ThinkTime::None => 0.0,
            ThinkTime::Fixed(d) => d.as_secs_f64(),
            ThinkTime::Uniform(_, b) | ThinkTime::LogNormal(_, b) => b.as_secs_f64(),
            ThinkTime::Exponential(m) => 50.0 * m.as_secs_f64(),
        };
        let shortest = |t: &ThinkTime| match *t {
            ThinkTime::Fixed(d) => d.as_secs_f64(),
            ThinkTime::Uniform(a, _) | ThinkTime::LogNormal(a, _) => a.as_secs_f64(),
            ThinkTime::None | ThinkTime::Exponential(_) => 0.0,
        };
        let sends = |s: &StepSpec| -> u64 {
            let hops = 1 + u64::from(s.flow.follow_redirects.unwrap_or(default_redirects));
            let times = match &s.flow.repeat_for {
                Some(r) => (longest(r) / shortest(&s.flow.think).max(1e-3)).ceil() as u64 + 1,
                None => 1,
            };
            hops.saturating_mul(times)
        };
        let steps: u64 = self.steps.iter().map(sends).sum();
        let relogin = (self.step_names().len() - self.steps.len()) as u64;
        steps.saturating_add(relogin).max(1)
    }

    /// Every template text of the steps (path, headers, body), to find the variables used.
    pub(crate) fn template_texts(&self) -> Vec<String> {
        self.steps.iter().map(StepSpec::template_text).collect()
    }
}

/// One step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepSpec {
    /// Unique within its workload.
    pub name: String,
    /// The request.
    pub http: HttpStepSpec,
    /// What counts as success.
    pub expect: ExpectSpec,
    /// Values taken from the answer for later steps (`capture = {…}`), in file order.
    pub captures: Vec<CaptureSpec>,
    /// `scope = "vu"`: run once per VU (until it succeeds), its captures kept.
    pub once_per_vu: bool,
    /// Think time, guards, repetition and redirects.
    pub flow: StepFlow,
}

/// How a step runs inside its iteration: `think`, `when`, `probability`, `repeat_for` and
/// `follow_redirects`. Durations are wall-clock (already divided by `time_scale`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StepFlow {
    /// Pause before the step (before each repetition of a repeated one).
    pub think: loadgen_engine::ThinkTime,
    /// Run only when this capture holds a value.
    pub when: Option<String>,
    /// Run with this probability.
    pub probability: Option<f64>,
    /// Repeat until a length drawn from this has passed.
    pub repeat_for: Option<loadgen_engine::ThinkTime>,
    /// Redirects followed (`None`: `[http] follow_redirects`).
    pub follow_redirects: Option<u8>,
}

/// One capture of a step, checked: its JSON path, header name and regex are valid.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureSpec {
    /// The name later steps render as `{{name}}`.
    pub name: String,
    /// Where the value is read.
    pub from: CaptureFrom,
}

/// Where a capture reads its value.
#[derive(Debug, Clone, PartialEq)]
pub enum CaptureFrom {
    /// A JSON path (`$.data.items[0].id`) into the body.
    Json(String),
    /// A response header; with a regex, its first group over the header's value.
    Header(String, Option<String>),
    /// The value of a cookie the answer sets.
    Cookie(String),
    /// The first group of a regex over the body.
    Regex(String),
}

/// An HTTP request template.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpStepSpec {
    /// Method, upper case.
    pub method: String,
    /// Path (and query), may hold `{{var}}` templates.
    pub path: String,
    /// Extra headers (values may hold templates).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Option<BodySpec>,
}

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub enum BodySpec {
    /// JSON (sent with `content-type: application/json`).
    Json(serde_json::Value),
    /// Raw text.
    Text(String),
    /// Generated per request by the payload generator with this index in `Scenario::payloads`.
    Payload(usize),
}

/// Checks on the answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExpectSpec {
    /// Statuses that count as success (empty: any 2xx).
    pub status: Vec<u16>,
    /// Statuses that mean "correctly rejected" (expected failure, not an error).
    pub expected_failure_status: Vec<u16>,
    /// The body must contain this.
    pub body_contains: Option<String>,
    /// JSON fields (dotted paths) that must equal these values.
    pub json: Vec<(String, serde_json::Value)>,
}

impl StepFlow {
    /// True when the step needs the journey loop (`loadgen_http`'s rule): it thinks, is
    /// guarded or repeats. Following redirects alone does not.
    pub(crate) fn is_journey(&self) -> bool {
        self.think != loadgen_engine::ThinkTime::None
            || self.when.is_some()
            || self.probability.is_some()
            || self.repeat_for.is_some()
    }
}

impl StepSpec {
    /// Every template text of the step (path, headers, body) in one string.
    pub fn template_text(&self) -> String {
        let mut t = self.http.path.clone();
        for (_, v) in &self.http.headers {
            t.push_str(v);
        }
        match &self.http.body {
            Some(BodySpec::Json(j)) => t.push_str(&j.to_string()),
            Some(BodySpec::Text(b)) => t.push_str(b),
            _ => {}
        }
        t
    }
}
