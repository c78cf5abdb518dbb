#[botwatch::circuit_breaker]
fn ping() {}

fn main() {
    ping();
}
