//! A fixture binary serving its exporter: started with `serve`, it prints
//! `listening <addr>` once bound, and is killed however the test ends.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

/// A running `<bin> serve`, killed on drop.
#[derive(Debug)]
pub struct Served {
    child: Child,
    /// Where its exporter listens.
    pub addr: SocketAddr,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `bin serve` and waits for the address it prints.
pub fn serve(bin: &str) -> Served {
    let mut child = Command::new(bin)
        .arg("serve")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {bin} serve: {e}"));
    let stdout = child.stdout.take().expect("piped stdout");
    // Owned from here, so a failed read below still kills it.
    let mut served = Served {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
    };
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the address line");
    served.addr = line
        .trim()
        .strip_prefix("listening ")
        .expect("listening <addr>")
        .parse()
        .expect("an address");
    served
}
