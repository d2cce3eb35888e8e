//! What a Redis workload's sessions share: where they connect and the steps they run.

use crate::command::Command;
use crate::error::RedisError;
use crate::expect::Expect;
use crate::url::RedisUrl;
use loadgen_template::Template;
use loadgen_tls::TlsOptions;
use std::time::Duration;

/// Everything a Redis workload's sessions share.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    /// The server, with the user and password for `AUTH` and the database for `SELECT`.
    pub url: RedisUrl,
    /// Trust, client identity and lowest version for `rediss://` (the same options as HTTP).
    pub tls: TlsOptions,
    /// TCP connect + TLS + `AUTH`/`SELECT` must finish within this.
    pub connect_timeout: Duration,
    /// A step (a command, or a whole pipeline) must be answered within this; a blocking pop's
    /// own timeout must be shorter. A step that runs out drops its connection (a late reply
    /// would answer the next command).
    pub timeout: Duration,
    /// The steps of one iteration, in order.
    pub steps: Vec<Step>,
}

impl RedisConfig {
    /// A configuration for `url` running `steps`, with 5 s to connect and 10 s per step.
    pub fn new(url: RedisUrl, steps: Vec<Step>) -> Self {
        RedisConfig {
            url,
            tls: TlsOptions::default(),
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            steps,
        }
    }
}

/// One step: a command or a pipeline, and the checks on its replies.
#[derive(Debug, Clone)]
pub struct Step {
    /// The step's name (`{{step}}` in templates).
    pub name: String,
    /// What it sends.
    pub kind: StepKind,
    /// Checks on the reply (every reply of a pipeline).
    pub expect: Expect,
}

/// What a step sends.
#[derive(Debug, Clone)]
pub enum StepKind {
    /// One command.
    Command(Command),
    /// Commands written at once and measured as one step, from the first byte sent to the
    /// last reply read.
    Pipeline(Vec<Command>),
}

impl Step {
    /// A step sending one command.
    pub fn command(name: impl Into<String>, args: Vec<Template>) -> Result<Step, RedisError> {
        Ok(Step {
            name: name.into(),
            kind: StepKind::Command(Command::new(args)?),
            expect: Expect::default(),
        })
    }

    /// A step sending `commands` as one pipeline (at least one).
    pub fn pipeline(
        name: impl Into<String>,
        commands: Vec<Vec<Template>>,
    ) -> Result<Step, RedisError> {
        if commands.is_empty() {
            return Err(RedisError::Command {
                index: 0,
                reason: "a pipeline needs at least one command",
            });
        }
        let mut built = Vec::with_capacity(commands.len());
        for (index, args) in commands.into_iter().enumerate() {
            built.push(Command::new_at(args, index)?);
        }
        Ok(Step {
            name: name.into(),
            kind: StepKind::Pipeline(built),
            expect: Expect::default(),
        })
    }

    /// The same step with checks.
    pub fn with_expect(mut self, expect: Expect) -> Self {
        self.expect = expect;
        self
    }

    /// The commands the step sends, in order.
    pub fn commands(&self) -> &[Command] {
        match &self.kind {
            StepKind::Command(c) => std::slice::from_ref(c),
            StepKind::Pipeline(cs) => cs,
        }
    }
}
