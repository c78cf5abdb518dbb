//! The git commit the bot is built from, for `botwatch_build_info{commit}`: asked of `git`
//! in the crate's directory, handed to the crate's compilation as `BOTWATCH_GIT_COMMIT`
//! (`cargo:rustc-env`), where each annotated item's expansion reads it. No git, no
//! repository, or a `git` that fails: no commit, and the label is empty.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The variable the macros read.
pub(crate) const COMMIT_ENV: &str = "BOTWATCH_GIT_COMMIT";

/// `git <args>` in `dir`, its trimmed output when it succeeds.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The commit checked out in `dir`'s repository: 40 (or 64) hex digits, or `None`.
pub(crate) fn commit(dir: &Path) -> Option<String> {
    git(dir, &["rev-parse", "HEAD"])
        .filter(|sha| matches!(sha.len(), 40 | 64) && sha.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Prints the commit for the crate in `dir`, and asks cargo to run the build script again
/// when the checked-out commit moves.
pub(crate) fn emit(dir: &Path, directives: &mut dyn Write) {
    let Some(sha) = commit(dir) else { return };
    let _ = writeln!(directives, "cargo:rustc-env={COMMIT_ENV}={sha}");
    if let Some(git_dir) = git(dir, &["rev-parse", "--absolute-git-dir"]) {
        let git_dir = PathBuf::from(git_dir);
        for moved in ["HEAD", "logs/HEAD"] {
            let file = git_dir.join(moved);
            if file.exists() {
                let _ = writeln!(directives, "cargo:rerun-if-changed={}", file.display());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(dir: &Path, args: &[&str]) {
        let ok = Command::new("git")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "git {args:?}");
    }

    /// Catches a commit read from the wrong directory, a missing directive, and a
    /// directive printed outside a repository (a crate built from a tarball).
    #[test]
    fn a_repository_gives_its_commit_and_none_gives_nothing() {
        let root = std::env::temp_dir().join(format!("botwatch-git-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let (repo, plain) = (root.join("repo"), root.join("plain"));
        std::fs::create_dir_all(&repo).unwrap();
        std::fs::create_dir_all(&plain).unwrap();
        if commit(&std::env::temp_dir()).is_some() {
            // The temporary directory is inside a repository: no "outside" to test.
            return;
        }
        run(&repo, &["init", "-q"]);
        run(
            &repo,
            &[
                "-c",
                "user.name=bot",
                "-c",
                "user.email=bot@example.com",
                "commit",
                "-q",
                "--allow-empty",
                "-m",
                "first",
            ],
        );
        let sha = commit(&repo).expect("a commit");
        let mut directives = Vec::new();
        emit(&repo, &mut directives);
        let text = String::from_utf8(directives).unwrap();
        assert!(
            text.contains(&format!("cargo:rustc-env=BOTWATCH_GIT_COMMIT={sha}\n")),
            "{text}"
        );
        assert!(text.contains("HEAD"), "{text}");
        let mut directives = Vec::new();
        emit(&plain, &mut directives);
        assert!(directives.is_empty());
        let _ = std::fs::remove_dir_all(&root);
    }
}
