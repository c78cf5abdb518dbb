#[botwatch::circuit_breaker]
fn block_number() -> u64 {
    19_000_000
}

fn main() {
    let _ = block_number();
}
