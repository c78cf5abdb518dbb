#[derive(Debug)]
struct Error;

impl From<botwatch::CircuitOpen> for Error {
    fn from(_: botwatch::CircuitOpen) -> Self {
        Error
    }
}

#[botwatch::circuit_breaker(failure_rate = 50%, window = 10, min_calls = 20)]
fn submit() -> Result<(), Error> {
    Ok(())
}

fn main() {
    let _ = submit();
}
