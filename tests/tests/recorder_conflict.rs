//! Another `metrics` recorder installed first, and a malformed `BOTWATCH_LISTEN`.

use botwatch::InstallError;

#[test]
fn reports_a_foreign_recorder_and_a_bad_listen_variable() {
    std::env::set_var(botwatch::LISTEN_ENV, "localhost-9000");
    let error = botwatch::install().expect_err("not an ip:port");
    assert!(
        matches!(error, InstallError::InvalidListenAddress { .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("BOTWATCH_LISTEN=\"localhost-9000\""),
        "{error}"
    );
    std::env::set_var(botwatch::LISTEN_ENV, "127.0.0.1:0");

    metrics::set_global_recorder(metrics::NoopRecorder).unwrap();
    let error = botwatch::install().expect_err("a recorder is installed");
    assert!(
        matches!(error, InstallError::RecorderAlreadyInstalled),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("another `metrics` recorder"),
        "{error}"
    );
}
