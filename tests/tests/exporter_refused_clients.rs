//! Clients outside the allow-list are told 403 and closed at once, in a connection table
//! of their own: they cannot keep a slot, nor push out an allowed client's idle
//! keep-alive connection. Loopback has 127.0.0.0/8, so 127.0.0.1 is allowed and
//! 127.0.0.2 to 127.0.0.9 are not.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

#[botwatch::counted]
fn tick() {}

fn connect_from(source: [u8; 4], addr: SocketAddr) -> TcpStream {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((source, 0))).unwrap();
    let stream = runtime.block_on(socket.connect(addr)).unwrap();
    let stream = stream.into_std().unwrap();
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    stream
}

/// One keep-alive request; the response head and body as text (`Content-Length` bodies).
fn ask(stream: &mut TcpStream, addr: SocketAddr, path: &str) -> std::io::Result<String> {
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n")?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        raw.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&raw).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            if body.len() >= length {
                return Ok(text);
            }
        }
    }
}

/// Catches: a refused client kept on keep-alive after its 403 (it held a slot), and
/// refused clients sharing the allowed clients' table (they evicted an allowed idle
/// connection once the table was full).
#[test]
fn refused_clients_are_closed_at_once_and_never_push_out_allowed_ones() {
    tick();
    let exporter = botwatch::Exporter::new()
        .listen("127.0.0.1:0".parse().unwrap())
        .allow_client("127.0.0.1/32")
        .install()
        .expect("install");
    let addr = exporter.local_addr();

    // An allowed client, served once, then idle on its keep-alive connection.
    let mut allowed = connect_from([127, 0, 0, 1], addr);
    let first = ask(&mut allowed, addr, "/health").unwrap();
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");

    // A refused client is told 403 and its connection is closed.
    let mut refused = connect_from([127, 0, 0, 2], addr);
    let answer = ask(&mut refused, addr, "/metrics").unwrap();
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(!answer.contains("tick"), "{answer}");
    let mut rest = [0u8; 64];
    match refused.read(&mut rest) {
        Ok(0) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        other => panic!("the refused client's connection stayed open: {other:?}"),
    }

    // 128 refused connections from eight addresses, holding on (sending half a head): more
    // than the whole table, were they in it.
    let crowd: Vec<TcpStream> = (0..128u8)
        .map(|i| {
            let mut stream = connect_from([127, 0, 0, 2 + i % 8], addr);
            stream.write_all(b"GET /metrics HTTP/1.1\r\n").unwrap();
            stream
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let second = ask(&mut allowed, addr, "/health")
        .expect("the allowed client's idle connection is still open");
    assert!(second.starts_with("HTTP/1.1 200"), "{second}");
    drop(crowd);
}
