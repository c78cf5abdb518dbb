//! `BOTWATCH_ALLOW` gives the allow-list when the code gives none, as `BOTWATCH_LISTEN`
//! gives the address: an operator can close a bot to other hosts without a rebuild.

use botwatch_tests::http_get;

#[botwatch::counted]
fn tick() {}

/// Catches: the variable ignored (every client served), or read without checking it.
#[test]
fn the_allow_list_can_come_from_the_environment() {
    tick();
    // One test per process: the variable is the process's.
    std::env::set_var(botwatch::ALLOW_ENV, "10.0.0.0/8;192.168.0.0/16");
    let error = botwatch::Exporter::new()
        .listen("127.0.0.1:0".parse().unwrap())
        .install()
        .expect_err("a semicolon is not a separator");
    assert!(
        matches!(error, botwatch::InstallError::InvalidAllowEnv { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("BOTWATCH_ALLOW"), "{error}");

    std::env::set_var(botwatch::ALLOW_ENV, "10.0.0.0/8, 192.168.0.0/16");
    let exporter = botwatch::Exporter::new()
        .listen("127.0.0.1:0".parse().unwrap())
        .install()
        .expect("install");
    let response = http_get(exporter.local_addr(), "/metrics").unwrap();
    assert_eq!(response.status, 403, "loopback is in neither block");
    assert!(!response.body.contains("tick"));
}
