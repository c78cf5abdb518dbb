//! Scratch directories for one test's files: removed when the test passes, kept (and named
//! on stderr) when it fails, so a full run leaves nothing behind and a failure keeps its logs.

use std::ops::Deref;
use std::path::{Path, PathBuf};

/// A fresh directory under the system's temporary directory, named after the test and the
/// process. Dropped while its thread unwinds from a panic, it is kept for the post-mortem;
/// dropped otherwise, it is removed. Declare it before the processes that write into it, so
/// they are killed (dropped) first.
#[derive(Debug)]
pub struct Scratch(PathBuf);

/// A fresh, empty [`Scratch`] directory named `botwatch-{name}-{pid}`.
pub fn scratch_dir(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("botwatch-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch directory");
    Scratch(dir)
}

impl Deref for Scratch {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("kept the failed test's files in {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passing_tests_directory_is_removed() {
        let dir = scratch_dir("scratch-passing");
        std::fs::write(dir.join("file"), "x").unwrap();
        let path = dir.to_path_buf();
        drop(dir);
        assert!(!path.exists(), "{} left behind", path.display());
    }

    #[test]
    fn a_failing_tests_directory_is_kept() {
        let path = std::thread::spawn(|| {
            let dir = scratch_dir("scratch-failing");
            let path = dir.to_path_buf();
            let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
                let _dir = dir;
                panic!("the test fails");
            }));
            assert!(failed.is_err());
            path
        })
        .join()
        .unwrap();
        assert!(path.is_dir(), "{} was removed", path.display());
        std::fs::remove_dir_all(&path).unwrap();
    }
}
