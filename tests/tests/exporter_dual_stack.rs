//! A dual-stack listener sees its IPv4 clients as IPv4-mapped IPv6 addresses
//! (`::ffff:127.0.0.1`); an IPv4 allow-list must still admit them, Prometheus included.

use botwatch_tests::http_get;

#[botwatch::counted]
fn tick() {}

/// Catches: the peer address compared as the socket gives it, so every IPv4 client of a
/// `[::]` bind got 403 from an IPv4 allow-list.
#[test]
fn an_ipv4_client_of_an_ipv6_listener_is_admitted_by_an_ipv4_allow_list() {
    tick();
    // An IPv6 socket that IPv4 clients reach, on loopback only (as `[::]` is, everywhere).
    let listen: std::net::SocketAddr = "[::ffff:127.0.0.1]:0".parse().unwrap();
    let exporter = match botwatch::Exporter::new()
        .listen(listen)
        .allow_client("127.0.0.1/32")
        .install()
    {
        Ok(exporter) => exporter,
        Err(botwatch::InstallError::Bind { source, .. }) => {
            eprintln!("skipped: this host has no dual-stack IPv6 sockets ({source})");
            return;
        }
        Err(error) => panic!("{error}"),
    };
    let v4 = std::net::SocketAddr::from(([127, 0, 0, 1], exporter.local_addr().port()));
    let response = http_get(v4, "/metrics").unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    assert!(response.body.contains("function=\"tick\""));
}
