//! A bot that never calls `install()` is told so once on stderr, unless it reads its counts
//! in process or silences the notice.

use std::process::Command;

fn stderr_of(arg: Option<&str>, notice: &str) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_forgot_install"));
    command.args(arg).env("BOTWATCH_INSTALL_NOTICE", notice);
    let output = command.output().expect("run forgot_install");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn a_forgotten_install_is_noticed_once() {
    let forgot = stderr_of(None, "0.3");
    assert_eq!(
        forgot.matches("botwatch: notice:").count(),
        1,
        "once, not per call: {forgot}"
    );
    assert!(
        forgot.contains("no exporter is installed")
            && forgot.contains("botwatch::install()")
            && forgot.contains("BOTWATCH_INSTALL_NOTICE=off"),
        "{forgot}"
    );
    assert_eq!(stderr_of(None, "off"), "", "silenced");
    assert_eq!(stderr_of(Some("install"), "0.3"), "", "installed");
    assert_eq!(
        stderr_of(Some("snapshot"), "0.3"),
        "",
        "a test reading counts in process"
    );
}
