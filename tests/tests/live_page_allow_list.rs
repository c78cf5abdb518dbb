//! The live page obeys the exporter's allow-list like `/metrics` does: a client outside it
//! gets 403 for `/` and `/snapshot.json`, and its requests take no reading.

use botwatch_tests::http_get;

#[botwatch::counted]
fn tick() {}

/// Catches: the page routed before the allow-list check.
#[test]
fn a_client_outside_the_allow_list_gets_403_for_the_page_and_its_json() {
    tick();
    let exporter = botwatch::Exporter::new()
        .listen("127.0.0.1:0".parse().unwrap())
        .allow_client("10.0.0.0/8")
        .install()
        .expect("install");
    for path in ["/", "/snapshot.json", "/metrics"] {
        let response = http_get(exporter.local_addr(), path).unwrap();
        assert_eq!(response.status, 403, "GET {path}: {}", response.body);
        assert!(!response.body.contains("tick"), "{}", response.body);
    }
}
