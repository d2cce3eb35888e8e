//! A scenario file read once. A run reads its file here and passes the text along: the
//! scenario is parsed from it, and the plan's identity (`run.json`'s hash) and the results
//! folder's `scenario.toml` copy are taken from the same bytes, so a file replaced while a
//! run starts cannot give a run a scenario, a hash and a copy that disagree.

use crate::error::ScenarioError;
use crate::model::Scenario;
use std::path::{Path, PathBuf};

/// A scenario file's path and its text as read (`${VAR}` not expanded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The file as given.
    pub path: PathBuf,
    /// Its text.
    pub text: String,
}

impl Source {
    /// Reads the file at `path`, once.
    pub fn read(path: &Path) -> Result<Source, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Source {
            path: path.to_path_buf(),
            text,
        })
    }

    /// Validates the text read; `env` resolves `${VAR}`. The path names the file in error
    /// locations and is where `file = …` references are resolved from.
    pub fn parse(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<Scenario, ScenarioError> {
        crate::parse(&self.text, &self.path.display().to_string(), env)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scenario_is_parsed_from_the_text_read_not_the_file_now() {
        let dir = std::env::temp_dir().join(format!("loadgen-source-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("s.toml");
        let scenario = |name: &str| {
            format!(
                "name = \"{name}\"\nduration = \"1s\"\n[[workload]]\nname = \"w\"\nmodel = \"closed\"\n\
                 vus = 1\n[[workload.step]]\nname = \"s\"\nhttp = {{ method = \"GET\", path = \"/\" }}\n"
            )
        };
        std::fs::write(&file, scenario("first")).unwrap();
        let source = Source::read(&file).unwrap();
        std::fs::write(&file, scenario("replaced")).unwrap();
        assert_eq!(source.text, scenario("first"));
        assert_eq!(source.parse(&|_| None).unwrap().name, "first");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
