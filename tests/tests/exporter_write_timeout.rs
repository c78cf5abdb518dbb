//! A client that asks and never reads is dropped after the exporter's write timeout (10 s),
//! and the responses it held are freed; until then it holds no more than its connection.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use botwatch_tests::http_get;

#[botwatch::counted(alert(error_rate > 5%))]
#[botwatch::timed(alert(p99 > 250ms))]
fn place_order() -> Result<(), String> {
    Ok(())
}

/// Responses that cannot all fit in the sockets' buffers on loopback.
const STUCK_BYTES: usize = 64 << 20;

/// Catches: no write timeout (the server waits forever on a client that does not read,
/// holding what it was sending), or one that also cuts clients that do read.
#[test]
#[ignore = "slow: waits out the 10 s write timeout"]
fn a_client_that_does_not_read_is_dropped_after_the_write_timeout() {
    place_order().unwrap();
    let exporter = botwatch::Exporter::new()
        .listen("127.0.0.1:0".parse().unwrap())
        .install()
        .expect("install");
    let addr = exporter.local_addr();
    let one = http_get(addr, "/dashboard.json").unwrap().body.len();
    let pipelined = STUCK_BYTES / one + 1;

    // Asks for far more than the sockets hold, on one keep-alive connection, then waits.
    let mut stream = TcpStream::connect(addr).unwrap();
    let request = format!("GET /dashboard.json HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    let requests = request.repeat(pipelined);
    stream
        .set_write_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(requests.as_bytes()).unwrap();
    std::thread::sleep(Duration::from_secs(13));

    // A client that reads is still served meanwhile.
    assert_eq!(http_get(addr, "/health").unwrap().status, 200);

    // Now read: a dropped client finds the end (or a reset) before all it asked for; a
    // kept one would get every response and then wait on its open keep-alive connection.
    stream
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let mut received = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    let started = Instant::now();
    let ended = loop {
        match stream.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => received += n,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
            Err(_) => break false,
        }
        assert!(started.elapsed() < Duration::from_secs(60), "still reading");
    };
    assert!(
        ended,
        "the exporter kept the connection of a client that read nothing for 13 s ({received} bytes \
         received once it read)"
    );
    assert!(
        received < pipelined * one,
        "{received} bytes: every response was still sent"
    );
}
