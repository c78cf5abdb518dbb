//! DNS rebinding: a web page under a foreign name that resolves to 127.0.0.1, opened in the
//! operator's browser, sends requests whose `Host` is its own name. The exporter refuses
//! them, and serves IP literals, `localhost` and the names the bot gave with
//! `Exporter::host(...)`.

use botwatch_tests::raw_request;

#[botwatch::counted]
fn settle_profit() {}

fn get(addr: std::net::SocketAddr, path: &str, host: &str) -> botwatch_tests::Response {
    raw_request(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
    )
    .unwrap_or_else(|e| panic!("GET {path} with Host {host}: {e}"))
}

/// Catches: no `Host` check (every request served), a check on some paths only, a suffix
/// or prefix match of a declared name.
#[test]
fn a_foreign_host_is_refused_and_the_bots_own_names_are_served() {
    settle_profit();
    let exporter = botwatch::Exporter::new()
        .listen("127.0.0.1:0".parse().unwrap())
        .host("Bot-1.Internal")
        .install()
        .expect("install");
    let addr = exporter.local_addr();
    let port = addr.port();
    for path in [
        "/",
        "/snapshot.json",
        "/metrics",
        "/health",
        "/rules",
        "/dashboard.json",
    ] {
        for host in [
            format!("rebind.attacker.example:{port}"),
            format!("bot-1.internal.attacker.example:{port}"),
            "attacker.example".to_owned(),
        ] {
            let response = get(addr, path, &host);
            assert_eq!(response.status, 403, "GET {path}, Host {host}");
            assert!(
                !response.body.contains("settle_profit"),
                "GET {path}, Host {host}: {}",
                response.body
            );
        }
    }
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("bot-1.internal:{port}"),
        "BOT-1.internal".to_owned(),
    ] {
        let response = get(addr, "/snapshot.json", &host);
        assert_eq!(response.status, 200, "Host {host}: {}", response.body);
        assert!(response.body.contains("settle_profit"), "Host {host}");
    }
    // HTTP/1.0 without a Host: not a browser, served.
    let response = raw_request(addr, "GET /metrics HTTP/1.0\r\n\r\n").unwrap();
    assert_eq!(response.status, 200);
}

#[test]
fn a_host_that_is_not_a_dns_name_is_an_install_error() {
    let error = botwatch::Exporter::new()
        .without_listener()
        .host("bot 1:9000")
        .install()
        .expect_err("not a DNS name");
    assert!(
        matches!(error, botwatch::InstallError::InvalidHost { ref value } if value == "bot 1:9000"),
        "{error:?}"
    );
    assert!(error.to_string().contains("bot-1.internal"), "{error}");
}
