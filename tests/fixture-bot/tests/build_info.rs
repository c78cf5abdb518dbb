//! `botwatch_build_info` on the fixture's `/metrics`: the fixture crate's version (0.7.3, not
//! botwatch's) and the commit its build helper found.

use botwatch_tests::{http_get, serve};

const BIN: &str = env!("CARGO_BIN_EXE_fixture-bot");

/// Catches the version of botwatch or of another crate reported as the bot's, a commit
/// dropped between the build helper and the binary, and a family missing from `/metrics`.
#[test]
fn metrics_name_the_bots_version_and_commit() {
    let fixture = serve(BIN);
    let metrics = http_get(fixture.addr, "/metrics").unwrap().body;
    assert!(
        metrics.contains("# TYPE botwatch_build_info gauge\n"),
        "{metrics}"
    );
    let line = metrics
        .lines()
        .find(|l| l.starts_with("botwatch_build_info{"))
        .expect("a botwatch_build_info sample");
    // The build helper of this package set the variable for every target of it, this test
    // included: the binary must carry the same commit.
    let commit = option_env!("BOTWATCH_GIT_COMMIT").unwrap_or("");
    assert_eq!(
        line,
        format!(
            "botwatch_build_info{{commit=\"{commit}\",version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        )
    );
    // The workspace is a git repository: the commit is known here.
    assert_eq!(commit.len(), 40, "{line}");
}
