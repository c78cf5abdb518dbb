//! A scratch crate whose rules the build helper emits: the shared setup of the test files
//! that run hand-written promtool scenarios against emitted rules.

use botwatch::build::{BuildError, Report, Rules};
use botwatch_tests::{scratch_dir, Scratch};

/// Writes `source` as a crate's `src/lib.rs` (crate `bot`) and emits its rules with
/// `configure`: `alerts.yml` and its unit tests `alerts.test.yml` beside it.
pub(crate) fn emit(
    name: &str,
    source: &str,
    configure: impl FnOnce(Rules) -> Rules,
) -> (Scratch, Result<Report, BuildError>) {
    let root = scratch_dir(name);
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(root.join("src/lib.rs"), source).unwrap();
    let rules = Rules::new()
        .only_this_crate()
        .crate_dir(root.to_path_buf())
        .out_dir(root.join("out"))
        .crate_name("bot")
        .write_to("alerts.yml")
        .unit_tests_to("alerts.test.yml");
    let report = configure(rules).emit_to(&mut Vec::new());
    (root, report)
}

/// [`emit`] with the defaults, which must succeed.
pub(crate) fn emitted(name: &str, source: &str) -> Scratch {
    let (root, report) = emit(name, source, |r| r);
    report.expect("rules emitted");
    root
}
