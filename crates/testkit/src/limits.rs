//! The open-files limit, for tests that hold thousands of sockets in one process: the soft
//! limit (often 1,024) is raised to the hard limit first, and a hard limit too low to run the
//! test fails it with the fix, rather than with a confusing "too many open files" mid-run.

use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};

/// Raises this process's soft open-files limit to its hard limit; returns the soft limit now
/// in force (`None`: unlimited).
pub fn raise_open_files() -> Option<u64> {
    let now = getrlimit(Resource::Nofile);
    let raised = Rlimit {
        current: now.maximum,
        maximum: now.maximum,
    };
    match setrlimit(Resource::Nofile, raised) {
        Ok(()) => raised.current,
        Err(_) => now.current,
    }
}

/// Makes room for `needed` open files at once, or panics saying how to raise the limit.
pub fn ensure_open_files(needed: u64) {
    if let Some(limit) = raise_open_files() {
        assert!(
            limit >= needed,
            "this test holds {needed} files open at once, but the hard open-files limit is \
             {limit}; raise it (`ulimit -Hn {needed}` as root, or LimitNOFILE= for a service)"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_ends_at_the_hard_limit() {
        let before = getrlimit(Resource::Nofile);
        let now = raise_open_files();
        assert_eq!(now, before.maximum);
        assert_eq!(getrlimit(Resource::Nofile).current, before.maximum);
    }
}
