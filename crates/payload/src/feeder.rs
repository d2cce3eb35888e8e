//! Data feeders: rows from a CSV (header line) or JSON (array of flat objects) file, read
//! once, handed to requests as `{{NAME.column}}` template variables.
//!
//! ```toml
//! [feeder.customers]
//! file = "data/customers.csv"     # relative to the scenario file
//! order = "unique"                # sequential (default) | random | unique
//! ```
//!
//! The row of an iteration is a pure function of the VU id and its iteration number, so all
//! variables of one iteration read the same row and no thread shares a counter:
//! `sequential` walks the file in order (iteration `i` of VU `v` takes row `i·V + v`, `V` the
//! workload's VU ceiling) and wraps around at the end; `unique` takes the same rows but the run
//! is refused before it starts when the workload can run more iterations than the file has
//! rows; `random` takes a seeded pseudo-random row.

use loadgen_template::ValueSource;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How rows are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// In file order, wrapping around.
    Sequential,
    /// Seeded pseudo-random rows.
    Random,
    /// In file order, never reused.
    Unique,
}

/// Why a feeder file cannot be used (reported under the feeder's `file` field).
#[derive(Debug, thiserror::Error)]
pub enum FeederError {
    #[error("cannot read {}: {error}", .path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{0}")]
    Csv(csv::Error),
    #[error("expected a JSON array of objects: {0}")]
    Json(serde_json::Error),
    #[error("`{}` is neither .csv nor .json", .0.display())]
    Extension(PathBuf),
    #[error("{} has no rows", .0.display())]
    NoRows(PathBuf),
    #[error("{} is not a regular file (a FIFO, device or folder cannot be a feeder)", .0.display())]
    NotRegular(PathBuf),
}

/// A loaded feeder file.
#[derive(Debug, Clone, PartialEq)]
pub struct Feeder {
    /// `[feeder.NAME]`.
    pub name: String,
    /// Column names.
    pub columns: Vec<String>,
    /// Rows of values, one per column.
    pub rows: Vec<Vec<String>>,
    /// Row choice.
    pub order: Order,
}

impl Feeder {
    /// Reads `path` (`.csv` or `.json`).
    pub fn load(name: &str, path: &Path, order: Order) -> Result<Feeder, FeederError> {
        // Only a regular file: a FIFO or a device would make `validate` wait forever.
        if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
            return Err(FeederError::NotRegular(path.to_path_buf()));
        }
        let text = std::fs::read_to_string(path).map_err(|error| FeederError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        let (columns, rows) = match path.extension().and_then(|e| e.to_str()) {
            Some("csv") => {
                let mut r = csv::Reader::from_reader(text.as_bytes());
                let columns: Vec<String> = r
                    .headers()
                    .map_err(FeederError::Csv)?
                    .iter()
                    .map(str::to_string)
                    .collect();
                let rows = r
                    .records()
                    .map(|rec| {
                        rec.map(|rec| rec.iter().map(str::to_string).collect())
                            .map_err(FeederError::Csv)
                    })
                    .collect::<Result<Vec<Vec<String>>, _>>()?;
                (columns, rows)
            }
            Some("json") => {
                let items: Vec<serde_json::Map<String, serde_json::Value>> =
                    serde_json::from_str(&text).map_err(FeederError::Json)?;
                let columns: Vec<String> = items
                    .first()
                    .map(|o| o.keys().cloned().collect())
                    .unwrap_or_default();
                let rows = items
                    .iter()
                    .map(|o| {
                        columns
                            .iter()
                            .map(|c| match o.get(c) {
                                Some(serde_json::Value::String(s)) => s.clone(),
                                Some(v) => v.to_string(),
                                None => String::new(),
                            })
                            .collect()
                    })
                    .collect();
                (columns, rows)
            }
            _ => return Err(FeederError::Extension(path.to_path_buf())),
        };
        if rows.is_empty() {
            return Err(FeederError::NoRows(path.to_path_buf()));
        }
        Ok(Feeder {
            name: name.to_string(),
            columns,
            rows,
            order,
        })
    }

    /// The row for iteration `iteration` of VU `vu` in a workload of at most `vus` VUs.
    pub fn row(&self, vu: u64, iteration: u64, vus: u64, seed: u64) -> usize {
        let n = self.rows.len() as u64;
        let i = match self.order {
            Order::Sequential | Order::Unique => {
                iteration.wrapping_mul(vus.max(1)).wrapping_add(vu) % n
            }
            Order::Random => mix(seed ^ mix(vu) ^ mix(iteration.wrapping_add(0x5851_F42D))) % n,
        };
        i as usize
    }
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One column of a feeder, as a template variable of one workload.
pub struct Column {
    /// The feeder.
    pub feeder: Arc<Feeder>,
    /// Column index.
    pub column: usize,
    /// The workload's VU ceiling.
    pub vus: u64,
    /// Scenario seed (random order).
    pub seed: u64,
    /// Read by a once-per-VU step: every VU keeps the row of its first iteration (its own
    /// user, the same one when it logs in again), whichever iteration reads it.
    pub per_vu: bool,
}

impl ValueSource for Column {
    fn write_value(&self, vu: u64, iteration: u64, out: &mut bytes::BytesMut) {
        let iteration = if self.per_vu { 0 } else { iteration };
        let row = self.feeder.row(vu, iteration, self.vus, self.seed);
        out.extend_from_slice(self.feeder.rows[row][self.column].as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feeder(order: Order, n: usize) -> Feeder {
        Feeder {
            name: "f".into(),
            columns: vec!["id".into()],
            rows: (0..n).map(|i| vec![i.to_string()]).collect(),
            order,
        }
    }

    #[test]
    fn sequential_and_unique_walk_the_file_without_repeats_until_it_ends() {
        let f = feeder(Order::Unique, 100);
        let mut seen: Vec<usize> = (0..10)
            .flat_map(|it| (0..10).map(move |vu| (vu, it)))
            .map(|(vu, it)| f.row(vu, it, 10, 1))
            .collect();
        seen.sort();
        assert_eq!(seen, (0..100).collect::<Vec<_>>());
        assert_eq!(
            feeder(Order::Sequential, 7).row(3, 2, 5, 1),
            (2 * 5 + 3) % 7
        );
    }

    #[test]
    fn random_rows_are_spread_and_repeatable() {
        let f = feeder(Order::Random, 10);
        let mut hits = [0u32; 10];
        for vu in 0..100 {
            for it in 0..100 {
                hits[f.row(vu, it, 100, 7)] += 1;
            }
        }
        assert!(hits.iter().all(|h| (800..1200).contains(h)), "{hits:?}");
        assert_eq!(f.row(3, 4, 100, 7), f.row(3, 4, 100, 7));
    }

    #[test]
    fn csv_and_json_files_load() {
        let dir = std::env::temp_dir().join(format!("feeder-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("c.csv"), "id,email\n1,a@x\n2,\"b,@x\"\n").unwrap();
        let f = Feeder::load("c", &dir.join("c.csv"), Order::Sequential).unwrap();
        assert_eq!(f.columns, ["id", "email"]);
        assert_eq!(f.rows[1], ["2", "b,@x"]);
        std::fs::write(
            dir.join("j.json"),
            r#"[{"id": 1, "name": "ann"}, {"id": 2, "name": "bo"}]"#,
        )
        .unwrap();
        let f = Feeder::load("j", &dir.join("j.json"), Order::Random).unwrap();
        assert_eq!(f.rows[1], ["2", "bo"]);
        assert!(Feeder::load("x", &dir.join("nope.csv"), Order::Random)
            .unwrap_err()
            .to_string()
            .starts_with("cannot read"));
    }
}
