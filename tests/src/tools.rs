//! External tools (promtool, prometheus, alertmanager): found, or skipped with a reason.

/// The environment variable that turns a missing external tool into a test failure.
pub const REQUIRE_TOOLS_ENV: &str = "BOTWATCH_REQUIRE_TOOLS";

/// The path of an external tool (`promtool`, `prometheus`, ...) if it is installed.
///
/// When it is missing the test should skip: this prints why. With `BOTWATCH_REQUIRE_TOOLS`
/// set (as `.ci/run` does), a missing tool fails the test instead.
pub fn tool(name: &str) -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        let why = format!(
            "{name} is not installed (Debian: apt-get install prometheus prometheus-alertmanager wrk)"
        );
        if std::env::var_os(REQUIRE_TOOLS_ENV).is_some() {
            panic!("{why}, and {REQUIRE_TOOLS_ENV} is set");
        }
        eprintln!("SKIPPED: {why}; set {REQUIRE_TOOLS_ENV}=1 to make this a failure");
    }
    found
}

/// Runs a tool and returns its combined output, panicking with that output if it fails.
pub fn run_ok(program: &std::path::Path, args: &[&std::ffi::OsStr]) -> String {
    run(program, args, None)
}

/// Runs a tool with `input` on its standard input; panics with its output if it fails.
pub fn run_ok_with_input(program: &std::path::Path, args: &[&str], input: &str) -> String {
    let args: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    run(program, &args, Some(input))
}

fn run(program: &std::path::Path, args: &[&std::ffi::OsStr], input: Option<&str>) -> String {
    use std::io::Write as _;
    let mut child = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let mut stdin = child.stdin.take().expect("piped stdin");
    if let Some(input) = input {
        stdin.write_all(input.as_bytes()).expect("write the input");
    }
    drop(stdin);
    let output = child.wait_with_output().expect("wait for the tool");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "{} {args:?} failed:\n{text}",
        program.display()
    );
    text
}
