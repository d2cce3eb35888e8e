//! How result files reach the disk: a whole file appears at once (written to a temporary
//! name in the same folder, then renamed over the final one, so a reader or a crash never
//! leaves half a summary), and nothing is written through a planted symlink (the temporary
//! and streamed files are created with `O_EXCL`, which refuses any existing name, a symlink
//! included; `rename` replaces a symlink itself, never its target).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

fn temporary_for(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "result".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Writes `bytes` to `path` atomically (temp file + rename in the same folder).
pub fn write_atomic(path: &Path, bytes: impl AsRef<[u8]>) -> io::Result<()> {
    let tmp = temporary_for(path);
    let written = create_new(&tmp).and_then(|mut f| {
        f.write_all(bytes.as_ref())?;
        f.sync_all()
    });
    match written.and_then(|()| std::fs::rename(&tmp, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Creates `path` for streaming, refusing any existing file or symlink at that name.
pub fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("loadgen-out-file-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn an_atomic_write_replaces_a_planted_symlink_not_its_target() {
        let d = scratch("symlink");
        let victim = d.join("victim");
        std::fs::write(&victim, "precious").unwrap();
        std::os::unix::fs::symlink(&victim, d.join("summary.txt")).unwrap();
        write_atomic(&d.join("summary.txt"), "results").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(
            std::fs::read_to_string(d.join("summary.txt")).unwrap(),
            "results"
        );
        assert!(!d.join("summary.txt").is_symlink());
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 2);
    }

    #[test]
    fn streamed_files_refuse_an_existing_name_or_symlink() {
        let d = scratch("create-new");
        std::os::unix::fs::symlink(d.join("elsewhere"), d.join("timeseries.csv")).unwrap();
        let e = create_new(&d.join("timeseries.csv")).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert!(!d.join("elsewhere").exists());
    }
}
