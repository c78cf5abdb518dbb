#[botwatch::circuit_breaker(name = "relay")]
fn submit(bundle: u64) -> Result<u64, String> {
    Ok(bundle)
}

fn main() {
    let _ = submit(1);
}
