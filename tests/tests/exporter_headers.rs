//! Every answer of the exporter, errors included, says `nosniff` and carries a
//! Content-Security-Policy: the live page's runs only its own script, named by its hash;
//! every other lets nothing load or run.

use botwatch_tests::{raw_request, request, Response};

#[botwatch::counted]
fn tick() {}

fn assert_inert(what: &str, response: &Response) {
    assert_eq!(
        response
            .headers
            .get("x-content-type-options")
            .map(String::as_str),
        Some("nosniff"),
        "{what}: {:?}",
        response.headers
    );
    let policy = response
        .headers
        .get("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no policy in {:?}", response.headers));
    assert!(policy.starts_with("default-src 'none'"), "{what}: {policy}");
    assert!(!policy.contains("script-src 'unsafe"), "{what}: {policy}");
}

/// Catches: `nosniff` or a policy only on the live page (as it was), on the success
/// answers only, or a page policy that lets any inline script run.
#[test]
fn every_answer_says_nosniff_and_carries_a_policy() {
    tick();
    let exporter = botwatch::Exporter::new()
        .listen("127.0.0.1:0".parse().unwrap())
        .install()
        .expect("install");
    let addr = exporter.local_addr();
    for path in [
        "/metrics",
        "/health",
        "/rules",
        "/dashboard.json",
        "/",
        "/snapshot.json",
        "/nope",
    ] {
        let response = request(addr, "GET", path).unwrap();
        assert_inert(&format!("GET {path} ({})", response.status), &response);
    }
    let response = request(addr, "POST", "/metrics").unwrap();
    assert_eq!(response.status, 405);
    assert_inert("POST /metrics", &response);
    let response = raw_request(
        addr,
        "GET /metrics HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    assert_eq!(response.status, 403);
    assert_inert("a foreign Host", &response);

    let page = request(addr, "GET", "/").unwrap();
    let policy = &page.headers["content-security-policy"];
    let script_src = policy
        .split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix("script-src "))
        .unwrap_or_else(|| panic!("no script-src in {policy}"));
    assert!(
        script_src.starts_with("'sha256-") && !script_src.contains("unsafe"),
        "the page runs only its own script: {policy}"
    );
    assert_eq!(page.headers["cache-control"], "no-store");
    assert_eq!(
        exporter.live_page_headers().len(),
        3,
        "the handle gives a mounting bot the page's headers"
    );
}
