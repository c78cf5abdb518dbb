#[derive(Debug)]
struct Error;

impl From<botwatch::CircuitOpen> for Error {
    fn from(_: botwatch::CircuitOpen) -> Self {
        Error
    }
}

#[botwatch::circuit_breaker(half_open = 0)]
fn submit() -> Result<(), Error> {
    Ok(())
}

fn main() {
    let _ = submit();
}
