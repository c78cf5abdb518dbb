#[derive(Debug)]
struct Error;

impl From<botwatch::CircuitOpen> for Error {
    fn from(_: botwatch::CircuitOpen) -> Self {
        Error
    }
}

#[botwatch::circuit_breaker(reset = 1m, backoff = 2.0, max_reset = 30s)]
fn submit() -> Result<(), Error> {
    Ok(())
}

fn main() {
    let _ = submit();
}
