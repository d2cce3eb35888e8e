//! One Redis command: its arguments as templates, encoded in RESP per send. A command without
//! placeholders is encoded once, when it is built, and sending it copies those bytes.

use crate::error::RedisError;
use bytes::{Bytes, BytesMut};
use loadgen_template::{put_decimal, Template, Vars};

/// A command and its arguments.
#[derive(Debug, Clone)]
pub struct Command {
    args: Vec<Template>,
    /// The whole RESP encoding when no argument has a placeholder.
    encoded: Option<Bytes>,
    blocking: bool,
}

/// Commands that wait on the server for data (the queue consumers): their wait is recorded
/// apart (see [`crate::metrics::QUEUE_WAIT`]).
const BLOCKING: [&str; 8] = [
    "BLPOP",
    "BRPOP",
    "BLMOVE",
    "BRPOPLPUSH",
    "BLMPOP",
    "BZPOPMIN",
    "BZPOPMAX",
    "BZMPOP",
];

impl Command {
    /// A command from its arguments, the name first. The name must be plain text (no
    /// placeholders), so what a step does is known before it runs.
    pub fn new(args: Vec<Template>) -> Result<Command, RedisError> {
        Command::new_at(args, 0)
    }

    /// As [`Command::new`], with `index` (the command's place in a pipeline) in errors.
    pub(crate) fn new_at(args: Vec<Template>, index: usize) -> Result<Command, RedisError> {
        Command::check(&args, index)?;
        Ok(Command::from_checked(args))
    }

    fn check(args: &[Template], index: usize) -> Result<(), RedisError> {
        let err = |reason| RedisError::Command { index, reason };
        let name = args.first().ok_or_else(|| err("a command needs a name"))?;
        if !name.is_literal() {
            return Err(err("the command name must not have placeholders"));
        }
        if name.as_str().trim().is_empty() {
            return Err(err("the command name is empty"));
        }
        Ok(())
    }

    fn from_checked(args: Vec<Template>) -> Command {
        let name = args[0].as_str().to_ascii_uppercase();
        let blocking = BLOCKING.contains(&name.as_str())
            || (name.starts_with("XREAD")
                && args
                    .iter()
                    .any(|a| a.as_str().eq_ignore_ascii_case("BLOCK")));
        let encoded = args.iter().all(Template::is_literal).then(|| {
            let mut out = BytesMut::new();
            put_header(&mut out, b'*', args.len());
            for a in &args {
                put_bulk(&mut out, a.as_str().as_bytes());
            }
            out.freeze()
        });
        Command {
            args,
            encoded,
            blocking,
        }
    }

    /// The command's name as written.
    pub fn name(&self) -> &str {
        self.args[0].as_str()
    }

    /// The arguments (the name first).
    pub fn args(&self) -> &[Template] {
        &self.args
    }

    /// True for commands that block waiting for data (`BRPOP`, `XREAD … BLOCK`).
    pub fn is_blocking(&self) -> bool {
        self.blocking
    }

    /// Appends the RESP encoding to `out`, rendering placeholders with `vars` (`scratch`
    /// holds each rendered argument for a moment and is reused).
    pub(crate) fn encode(&self, vars: &mut Vars<'_>, scratch: &mut BytesMut, out: &mut BytesMut) {
        if let Some(e) = &self.encoded {
            out.extend_from_slice(e);
            return;
        }
        put_header(out, b'*', self.args.len());
        for a in &self.args {
            let text = a.render(vars, scratch);
            put_bulk(out, &text);
        }
    }
}

fn put_header(out: &mut BytesMut, kind: u8, n: usize) {
    out.extend_from_slice(&[kind]);
    put_decimal(out, n as u64);
    out.extend_from_slice(b"\r\n");
}

fn put_bulk(out: &mut BytesMut, arg: &[u8]) {
    put_header(out, b'$', arg.len());
    out.extend_from_slice(arg);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use loadgen_template::RunNonce;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    fn cmd(args: &[&str]) -> Result<Command, RedisError> {
        Command::new(args.iter().map(|a| Template::parse(a).unwrap()).collect())
    }

    fn encode(c: &Command) -> Vec<u8> {
        let mut rng = SmallRng::seed_from_u64(1);
        let mut vars = Vars::new(RunNonce::CHECK, 7, 0, 0, "s", &mut rng);
        let (mut scratch, mut out) = (BytesMut::new(), BytesMut::new());
        c.encode(&mut vars, &mut scratch, &mut out);
        out.to_vec()
    }

    #[test]
    fn encodes_resp_arrays_of_bulk_strings() {
        let c = cmd(&["SET", "session:{{vu}}", "a b", "EX", "3600"]).unwrap();
        assert_eq!(
            encode(&c),
            b"*5\r\n$3\r\nSET\r\n$9\r\nsession:7\r\n$3\r\na b\r\n$2\r\nEX\r\n$4\r\n3600\r\n"
        );
        // The same bytes redis-rs packs.
        let literal = cmd(&["GET", "k"]).unwrap();
        assert_eq!(
            encode(&literal),
            redis::cmd("GET").arg("k").get_packed_command()
        );
        assert!(literal.encoded.is_some());
    }

    #[test]
    fn refuses_nameless_or_templated_names_and_spots_blocking_pops() {
        assert!(cmd(&[]).is_err());
        assert!(cmd(&[" "]).is_err());
        assert!(cmd(&["{{step}}", "k"]).is_err());
        assert!(cmd(&["brpop", "q", "1"]).unwrap().is_blocking());
        assert!(cmd(&["XREAD", "BLOCK", "10", "STREAMS", "s", "$"])
            .unwrap()
            .is_blocking());
        assert!(!cmd(&["LPUSH", "q", "x"]).unwrap().is_blocking());
    }
}
