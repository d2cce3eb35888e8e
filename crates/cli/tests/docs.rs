//! The documentation cannot drift from the binary: every ```toml block of README.md and
//! docs/*.md passes the real `loadgen validate`, and every `loadgen …` command line in a
//! ```sh / ```bash / ```console block passes the CLI's own parser (`loadgen check-args`).
//!
//! Conventions (stated for readers at the top of docs/scenarios.md):
//! - ```toml fragment marks a block that is deliberately part of a file; it is not validated.
//! - A command line that cannot be checked ends with `# placeholder: NAME, …`, naming the
//!   placeholders it holds; each named one must appear in the command, so a mark cannot
//!   outlive its placeholder unnoticed.
//! - Every fence names its language, so no block escapes the checks by having none.
//!
//! The checker is a plain function over markdown text, and `the_docs_checker_fails_on_*`
//! feeds it broken blocks: the test is shown to fail when a doc is wrong.

use crate::support::*;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// README.md and every docs/*.md, as (name relative to the repository, text).
fn doc_files() -> Vec<(String, String)> {
    let mut names = vec!["README.md".to_string()];
    let mut docs: Vec<String> = std::fs::read_dir(repo().join("docs"))
        .expect("docs/ exists")
        .map(|e| e.expect("docs/ entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .map(|p| format!("docs/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    docs.sort();
    names.extend(docs);
    names
        .into_iter()
        .map(|n| {
            let text = std::fs::read_to_string(repo().join(&n)).unwrap();
            (n, text)
        })
        .collect()
}

/// One fenced code block.
#[derive(Debug)]
struct Block {
    /// `file:line` of the opening fence.
    at: String,
    /// First word of the info string (`toml`, `sh`, …).
    lang: String,
    /// The rest of the info string (`fragment`).
    attrs: Vec<String>,
    /// Lines between the fences, with their line numbers.
    lines: Vec<(usize, String)>,
}

fn blocks(file: &str, text: &str) -> Result<Vec<Block>, String> {
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let fence = line.trim_start().starts_with("```");
        match (&mut open, fence) {
            (None, true) => {
                let info = line.trim_start().trim_start_matches('`').trim();
                let mut words = info.split_whitespace().map(str::to_string);
                let Some(lang) = words.next() else {
                    return Err(format!(
                        "{file}:{n}: a fence without a language (say ```text, ```sh, ```toml …)"
                    ));
                };
                open = Some(Block {
                    at: format!("{file}:{n}"),
                    lang,
                    attrs: words.collect(),
                    lines: Vec::new(),
                });
            }
            (Some(_), true) => out.push(open.take().expect("a block is open")),
            (Some(b), false) => b.lines.push((n, line.to_string())),
            (None, false) => {}
        }
    }
    match open {
        Some(b) => Err(format!("{}: the block is never closed", b.at)),
        None => Ok(out),
    }
}

/// A shell word or operator, with whether it holds an expansion (`$VAR`, `$(…)`).
#[derive(Debug, PartialEq)]
enum Tok {
    Word { text: String, expands: bool },
    Op(String),
}

/// Splits one logical shell line into words and operators; returns the comment too.
/// Enough of the shell for documentation: quotes, escapes, `$…` expansions, `#` comments,
/// `&& || | ; &` and redirections.
fn shell_words(line: &str) -> Result<(Vec<Tok>, Option<String>), String> {
    let chars: Vec<char> = line.chars().collect();
    let mut toks = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut expands = false;
    let mut i = 0;
    let flush = |toks: &mut Vec<Tok>, word: &mut String, in_word: &mut bool, ex: &mut bool| {
        if *in_word {
            toks.push(Tok::Word {
                text: std::mem::take(word),
                expands: *ex,
            });
        }
        *in_word = false;
        *ex = false;
    };
    // `$` at chars[i]: consumes the expansion into `word`, returns the next index.
    let expansion = |i: usize, word: &mut String| -> Result<usize, String> {
        let close = match chars.get(i + 1) {
            Some('(') => Some(')'),
            Some('{') => Some('}'),
            _ => None,
        };
        let mut j = i + 1;
        match close {
            Some(c) => {
                let open = chars[i + 1];
                let mut depth = 0;
                loop {
                    match chars.get(j) {
                        None => return Err(format!("unclosed `${open}` in `{line}`")),
                        Some(&x) if x == open => depth += 1,
                        Some(&x) if x == c => {
                            depth -= 1;
                            if depth == 0 {
                                j += 1;
                                break;
                            }
                        }
                        Some(_) => {}
                    }
                    j += 1;
                }
            }
            None => {
                while chars
                    .get(j)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
                {
                    j += 1;
                }
            }
        }
        word.extend(&chars[i..j]);
        Ok(j)
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' => {
                flush(&mut toks, &mut word, &mut in_word, &mut expands);
                i += 1;
            }
            '#' if !in_word => {
                flush(&mut toks, &mut word, &mut in_word, &mut expands);
                let comment: String = chars[i + 1..].iter().collect();
                return Ok((toks, Some(comment.trim().to_string())));
            }
            '\\' => {
                in_word = true;
                if let Some(&n) = chars.get(i + 1) {
                    word.push(n);
                }
                i += 2;
            }
            '\'' => {
                in_word = true;
                let end = chars[i + 1..]
                    .iter()
                    .position(|&x| x == '\'')
                    .ok_or_else(|| format!("unclosed ' in `{line}`"))?;
                word.extend(&chars[i + 1..i + 1 + end]);
                i += end + 2;
            }
            '"' => {
                in_word = true;
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(format!("unclosed \" in `{line}`")),
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some('\\') => {
                            if let Some(&n) = chars.get(i + 1) {
                                word.push(n);
                            }
                            i += 2;
                        }
                        Some('$') => {
                            expands = true;
                            i = expansion(i, &mut word)?;
                        }
                        Some(&x) => {
                            word.push(x);
                            i += 1;
                        }
                    }
                }
            }
            '$' => {
                in_word = true;
                expands = true;
                i = expansion(i, &mut word)?;
            }
            '&' | '|' | ';' | '<' | '>' => {
                flush(&mut toks, &mut word, &mut in_word, &mut expands);
                let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
                let op = if ["&&", "||", ">>"].contains(&two.as_str()) {
                    two
                } else {
                    c.to_string()
                };
                i += op.chars().count();
                toks.push(Tok::Op(op));
            }
            _ => {
                in_word = true;
                word.push(c);
                i += 1;
            }
        }
    }
    flush(&mut toks, &mut word, &mut in_word, &mut expands);
    Ok((toks, None))
}

/// One `loadgen` invocation found in a doc.
#[derive(Debug)]
struct CommandLine {
    at: String,
    line: String,
    /// Arguments after `loadgen`; `None` where one holds a `$` expansion.
    args: Vec<String>,
    expands: bool,
    /// The names after `# placeholder:`, if the line is marked.
    placeholders: Option<Vec<String>>,
}

/// The loadgen arguments of one simple command: `loadgen ARGS`, `…/loadgen ARGS`,
/// `cargo run … -p loadgen … -- ARGS`; leading `VAR=value` assignments are skipped.
fn loadgen_args(words: &[(String, bool)]) -> Option<(Vec<String>, bool)> {
    let is_assignment = |w: &str| {
        w.split_once('=').is_some_and(|(k, _)| {
            !k.is_empty()
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !k.starts_with(|c: char| c.is_ascii_digit())
        })
    };
    let start = words.iter().position(|(w, _)| !is_assignment(w))?;
    let words = &words[start..];
    let first = words.first()?.0.as_str();
    let rest = if first == "loadgen" || first.ends_with("/loadgen") {
        &words[1..]
    } else if first == "cargo" && words.get(1).is_some_and(|(w, _)| w == "run") {
        let package = words
            .windows(2)
            .any(|p| (p[0].0 == "-p" || p[0].0 == "--package") && p[1].0 == "loadgen");
        let dashes = words.iter().position(|(w, _)| w == "--");
        match (package, dashes) {
            (true, Some(d)) => &words[d + 1..],
            (true, None) => &words[words.len()..],
            _ => return None,
        }
    } else {
        return None;
    };
    Some((
        rest.iter().map(|(w, _)| w.clone()).collect(),
        rest.iter().any(|(_, e)| *e),
    ))
}

/// Every loadgen command line of the shell blocks of one file.
fn command_lines(file: &str, text: &str) -> Result<Vec<CommandLine>, String> {
    let mut out = Vec::new();
    for b in blocks(file, text)? {
        let console = match b.lang.as_str() {
            "sh" | "bash" | "shell" => false,
            "console" => true,
            _ => continue,
        };
        // Logical lines: a trailing backslash continues on the next line.
        let mut logical: Vec<(usize, String)> = Vec::new();
        let mut pending: Option<(usize, String)> = None;
        for (n, raw) in &b.lines {
            let line = match pending.take() {
                Some((m, head)) => (m, format!("{head} {}", raw.trim_start())),
                None if console => match raw.strip_prefix("$ ") {
                    Some(cmd) => (*n, cmd.to_string()),
                    None => continue,
                },
                None => (*n, raw.clone()),
            };
            match line.1.strip_suffix('\\') {
                Some(head) => pending = Some((line.0, head.to_string())),
                None => logical.push(line),
            }
        }
        if let Some((n, _)) = pending {
            return Err(format!("{file}:{n}: a continued line never ends"));
        }
        for (n, line) in logical {
            let at = format!("{file}:{n}");
            let (toks, comment) = shell_words(&line).map_err(|e| format!("{at}: {e}"))?;
            let placeholders = comment
                .as_deref()
                .and_then(|c| c.strip_prefix("placeholder:"))
                .map(|names| {
                    names
                        .split(',')
                        .filter_map(|n| n.split_whitespace().next())
                        .map(str::to_string)
                        .collect::<Vec<_>>()
                });
            let mut simple: Vec<(String, bool)> = Vec::new();
            let mut skip_next = false;
            let mut commands = Vec::new();
            for t in toks.into_iter().chain([Tok::Op(";".into())]) {
                match t {
                    Tok::Word { text, expands } => {
                        if !std::mem::take(&mut skip_next) {
                            simple.push((text, expands));
                        }
                    }
                    Tok::Op(op) if [">", ">>", "<"].contains(&op.as_str()) => skip_next = true,
                    Tok::Op(_) => commands.push(std::mem::take(&mut simple)),
                }
            }
            for words in commands {
                if let Some((args, expands)) = loadgen_args(&words) {
                    out.push(CommandLine {
                        at: at.clone(),
                        line: line.clone(),
                        args,
                        expands,
                        placeholders: placeholders.clone(),
                    });
                }
            }
        }
    }
    Ok(out)
}

/// What checking the docs found.
#[derive(Debug, Default)]
struct Report {
    validated: usize,
    fragments: usize,
    parsed: usize,
    placeholders: usize,
    problems: Vec<String>,
}

/// Checks `files` (name, text); scenario files are written under `dir`, beside a copy of
/// `scenarios/data` so that feeder examples find their file.
fn check_docs(files: &[(String, String)], dir: &Path) -> Report {
    let mut r = Report::default();
    std::fs::create_dir_all(dir.join("data")).unwrap();
    for entry in std::fs::read_dir(repo().join("scenarios/data")).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, dir.join("data").join(p.file_name().unwrap())).unwrap();
    }
    for (file, text) in files {
        let blocks = match blocks(file, text) {
            Ok(b) => b,
            Err(e) => {
                r.problems.push(e);
                continue;
            }
        };
        for b in blocks.iter().filter(|b| b.lang == "toml") {
            let attrs: Vec<&str> = b.attrs.iter().map(String::as_str).collect();
            match attrs.as_slice() {
                ["fragment"] => {
                    r.fragments += 1;
                    continue;
                }
                [] => {}
                other => {
                    r.problems.push(format!(
                        "{}: unknown toml block attribute {other:?} (only `fragment`)",
                        b.at
                    ));
                    continue;
                }
            }
            let body: String = b.lines.iter().map(|(_, l)| format!("{l}\n")).collect();
            let name = format!("{}.toml", b.at.replace(['/', ':', '.'], "-"));
            let f = write(dir, &name, &body);
            let o = run(&["validate", f.to_str().unwrap()]);
            if o.status.code() == Some(0) {
                r.validated += 1;
            } else {
                r.problems.push(format!(
                    "{}: the toml block does not validate (mark it ```toml fragment if it is \
                     one):\n{}",
                    b.at,
                    String::from_utf8_lossy(&o.stderr).trim()
                ));
            }
        }
        let lines = match command_lines(file, text) {
            Ok(l) => l,
            Err(e) => {
                r.problems.push(e);
                continue;
            }
        };
        for c in lines {
            if let Some(names) = &c.placeholders {
                let stale: Vec<_> = names
                    .iter()
                    .filter(|n| !c.args.iter().any(|a| a.contains(n.as_str())))
                    .collect();
                if names.is_empty() || !stale.is_empty() {
                    r.problems.push(format!(
                        "{}: `# placeholder:` names {stale:?}, which the command does not \
                         hold: `{}`",
                        c.at, c.line
                    ));
                } else {
                    r.placeholders += 1;
                }
                continue;
            }
            if c.expands {
                r.problems.push(format!(
                    "{}: a `$` expansion cannot be checked; mark the line \
                     `# placeholder: NAME`: `{}`",
                    c.at, c.line
                ));
                continue;
            }
            let o = check_args(&c.args);
            if o.status.code() == Some(0) {
                r.parsed += 1;
            } else {
                r.problems.push(format!(
                    "{}: the CLI refuses `loadgen {}`:\n{}",
                    c.at,
                    c.args.join(" "),
                    String::from_utf8_lossy(&o.stderr).trim()
                ));
            }
        }
    }
    r
}

#[test]
fn docs_toml_blocks_validate_and_command_lines_parse() {
    let files = doc_files();
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for page in [
        "docs/scenarios.md",
        "docs/thresholds.md",
        "docs/results.md",
        "docs/webhooks.md",
        "docs/websocket.md",
        "docs/redis.md",
        "docs/tls.md",
        "docs/distributed.md",
        "docs/faults.md",
        "docs/performance.md",
        "docs/architecture.md",
    ] {
        assert!(names.contains(&page), "{page} is missing: {names:?}");
    }
    let r = check_docs(&files, &scratch("docs-all"));
    assert!(
        r.problems.is_empty(),
        "{} problem(s) in the docs:\n\n{}",
        r.problems.len(),
        r.problems.join("\n\n")
    );
    // Not vacuous: the README's first scenario, the scenario reference's complete files and
    // the protocol pages' scenarios are validated; dozens of command lines parsed.
    assert!(r.validated >= 9, "{r:?}");
    assert!(r.parsed >= 30, "{r:?}");
    eprintln!(
        "docs: {} toml blocks validated, {} fragments; {} command lines parsed, {} placeholders",
        r.validated, r.fragments, r.parsed, r.placeholders
    );
}

#[test]
fn docs_every_shipped_scenario_is_in_the_scenario_reference() {
    let reference = std::fs::read_to_string(repo().join("docs/scenarios.md")).unwrap();
    for entry in std::fs::read_dir(repo().join("scenarios")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "toml") {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            assert!(
                reference.contains(&format!("| `{name}` |")),
                "{name} is not in docs/scenarios.md's table"
            );
        }
    }
}

#[test]
fn docs_readme_lists_every_result_file_and_exit_code() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let results = std::fs::read_to_string(repo().join("docs/results.md")).unwrap();
    // Every file a results folder gets (loadgen-report's folder.rs writes them for every
    // command; the coordinator adds fleet.json).
    for f in [
        "summary.json",
        "summary.txt",
        "timeseries.csv",
        "latency.hlog",
        "junit.xml",
        "report.html",
        "run.json",
        "metrics.jsonl",
        "scenario.toml",
        "fleet.json",
    ] {
        assert!(readme.contains(&format!("- `{f}` —")), "README: {f}");
        assert!(
            results.contains(&format!("| `{f}` |")),
            "docs/results.md: {f}"
        );
    }
    // Every exit code the binary defines (crates/cli/src/main.rs, `mod exit`), and a panic's.
    let main = std::fs::read_to_string(repo().join("crates/cli/src/main.rs")).unwrap();
    let codes: Vec<&str> = main
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub const "))
        .filter_map(|l| l.split_once(": u8 = "))
        .map(|(_, v)| v.trim_end_matches(';'))
        .collect();
    assert!(codes.len() >= 5, "{codes:?}");
    for code in codes.iter().copied().chain(["101"]) {
        assert!(readme.contains(&format!("| {code} |")), "exit code {code}");
    }
    assert!(readme.lines().count() <= 300, "the README is a front door");
}

#[test]
fn docs_readme_first_scenario_runs_against_the_demo_target() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let first = blocks("README.md", &readme)
        .unwrap()
        .into_iter()
        .find(|b| {
            b.lang == "toml"
                && b.lines
                    .iter()
                    .any(|(_, l)| l.starts_with("name = \"first\""))
        })
        .expect("the README's first scenario");
    let body: String = first.lines.iter().map(|(_, l)| format!("{l}\n")).collect();
    assert!(body.lines().count() <= 25, "about 15 lines:\n{body}");
    let dir = scratch("docs-first");
    let f = write(&dir, "first.toml", &body);
    let target = Target::start(&[]);
    let out = dir.join("out");
    // TARGET_URL as the README says; bin() clears it for every other test.
    let o = run_env(
        &[
            "run",
            f.to_str().unwrap(),
            "--duration",
            "2s",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ],
        &[("TARGET_URL", &target.url)],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s = summary(&out);
    let c = target.counters();
    // 20/s, evenly spaced, for 2 s: about 40 payments (the schedule's ends are inclusive),
    // every one of them created by the target.
    let sent = s["totals"]["requests"].as_u64().expect("a request count");
    assert!((39..=41).contains(&sent), "{s}");
    assert_eq!(c["by_route"]["create_payment"], sent, "{c}");
    assert_eq!(c["by_status"]["201"], sent, "{c}");
}

/// A broken page, as a reviewer might write one.
fn broken_page(toml_block: &str, shell_line: &str) -> Vec<(String, String)> {
    vec![(
        "docs/broken.md".to_string(),
        format!("# Broken\n\n```toml\n{toml_block}```\n\n```sh\n{shell_line}\n```\n"),
    )]
}

const GOOD: &str = r#"name = "ok"
target = "embedded"

[[workload]]
name = "w"
model = "closed"
vus = 1

  [[workload.step]]
  name = "s"
  http = { method = "GET", path = "/health" }
"#;

#[test]
fn the_docs_checker_fails_on_a_toml_block_that_does_not_validate() {
    let dir = scratch("docs-broken-toml");
    let ok = check_docs(
        &broken_page(GOOD, "loadgen validate x.toml"),
        &dir.join("a"),
    );
    assert!(ok.problems.is_empty(), "{ok:?}");
    assert_eq!((ok.validated, ok.parsed), (1, 1), "{ok:?}");

    // A misspelt unit, unmarked: a problem naming the block's file and line.
    let bad = check_docs(
        &broken_page(
            &GOOD.replace("vus = 1", "vus = 1\nthink_time = \"1sec\""),
            "loadgen validate x.toml",
        ),
        &dir.join("b"),
    );
    assert_eq!(bad.problems.len(), 1, "{bad:?}");
    assert!(bad.problems[0].starts_with("docs/broken.md:3:"), "{bad:?}");
    assert!(bad.problems[0].contains("think_time"), "{bad:?}");

    // The same block marked as a fragment is left alone, and counted.
    let page = vec![(
        "docs/broken.md".to_string(),
        "```toml fragment\nrate = \"1/mn\"\n```\n".to_string(),
    )];
    let frag = check_docs(&page, &dir.join("c"));
    assert!(frag.problems.is_empty(), "{frag:?}");
    assert_eq!(frag.fragments, 1);

    // A misspelt attribute is not a silent fragment.
    let page = vec![(
        "docs/broken.md".to_string(),
        "```toml fragmnet\nrate = \"1/mn\"\n```\n".to_string(),
    )];
    assert_eq!(check_docs(&page, &dir.join("d")).problems.len(), 1);

    // A fence without a language would hide its contents from every check.
    let page = vec![(
        "docs/broken.md".to_string(),
        "```\nloadgen rn x\n```\n".to_string(),
    )];
    assert_eq!(check_docs(&page, &dir.join("e")).problems.len(), 1);
}

#[test]
fn the_docs_checker_fails_on_a_command_line_the_cli_refuses() {
    let dir = scratch("docs-broken-cmd");
    for (line, why) in [
        ("loadgen run x.toml --segmnt 0/3", "a misspelt flag"),
        ("loadgen run x.toml --segment 3/3", "a segment out of range"),
        ("loadgen run x.toml --duration 5sec", "a bad duration"),
        ("loadgen target --fault melt", "an unknown fault"),
        (
            "TARGET_URL=http://x loadgen rn x.toml   # a comment",
            "after an assignment",
        ),
        (
            "cargo run --release -p loadgen -- run --quiet",
            "through cargo run",
        ),
        (
            "loadgen target & loadgen run x.toml --seed minus-one",
            "after a `&`",
        ),
        (
            "loadgen coordinator x.toml \\\n    --wrkers 10.0.0.5:7878",
            "a continued line",
        ),
        ("loadgen run $FILE", "an unmarked expansion"),
        (
            "loadgen run FILE   # placeholder: SCENARIO",
            "a mark naming nothing in the line",
        ),
    ] {
        let r = check_docs(&broken_page(GOOD, line), &dir);
        assert_eq!(r.problems.len(), 1, "{why}: `{line}` → {r:?}");
        assert!(r.problems[0].starts_with("docs/broken.md:"), "{why}: {r:?}");
    }
    // Marked placeholders, console prompts and non-loadgen commands pass.
    for line in [
        "loadgen run FILE --out DIR   # placeholder: FILE, DIR",
        "loadgen run \"$SCENARIO\"   # placeholder: SCENARIO",
        "export LOADGEN_SECRET=$(openssl rand -hex 32)",
        "scripts/ci-gate.sh scenarios/staging-kpis.toml",
    ] {
        let r = check_docs(&broken_page(GOOD, line), &dir);
        assert!(r.problems.is_empty(), "`{line}` → {r:?}");
    }
    let page = vec![(
        "docs/broken.md".to_string(),
        "```console\n$ loadgen validate bad.toml\nloadgen: error: 2 problems\n$ loadgen vlidate x\n```\n"
            .to_string(),
    )];
    let r = check_docs(&page, &dir);
    assert_eq!((r.parsed, r.problems.len()), (1, 1), "{r:?}");
    assert!(r.problems[0].starts_with("docs/broken.md:4:"), "{r:?}");
}
