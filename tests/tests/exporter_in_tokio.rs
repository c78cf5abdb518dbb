//! The exporter inside a surrounding tokio runtime, and the errors a user can meet at
//! install time: a taken port, an unknown client, a second install.

use botwatch::InstallError;
use botwatch_tests::http_get;

#[botwatch::counted]
async fn tick() {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inside_a_runtime_it_serves_and_reports_install_errors() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap();
    let error = botwatch::Exporter::new()
        .listen(port)
        .install()
        .expect_err("the port is taken");
    assert!(
        matches!(error, InstallError::AddressInUse { addr } if addr == port),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("already in use") && message.contains("BOTWATCH_LISTEN"),
        "{message}"
    );
    // `fn main() -> Result<(), Box<dyn Error>>` prints `Error: {:?}`: the same sentence.
    let boxed: Box<dyn std::error::Error> = Box::new(error);
    assert_eq!(format!("{boxed:?}"), message);

    let error = botwatch::Exporter::new()
        .allow_client("10.0.0.0/33")
        .install()
        .expect_err("a bad CIDR");
    assert!(
        matches!(error, InstallError::InvalidAllowedClient { .. }),
        "{error:?}"
    );

    let error = botwatch::Exporter::new()
        .global_label("0bot", "x")
        .install()
        .expect_err("a bad label name");
    assert!(
        matches!(error, InstallError::InvalidGlobalLabel { .. }),
        "{error:?}"
    );

    // After the failures above nothing is installed, so this succeeds.
    let exporter = botwatch::Exporter::new()
        .listen("127.0.0.1:0".parse().unwrap())
        .allow_client("10.0.0.0/8")
        .install()
        .expect("install after failed attempts");
    tick().await;
    let addr = exporter.local_addr();
    let response = tokio::task::spawn_blocking(move || http_get(addr, "/metrics"))
        .await
        .unwrap()
        .expect("the server answers inside a runtime");
    assert_eq!(response.status, 403, "loopback is not in 10.0.0.0/8");

    let error = botwatch::install().expect_err("installed already");
    assert!(matches!(error, InstallError::AlreadyInstalled));
}
