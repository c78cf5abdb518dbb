#[derive(Debug)]
struct Error;

impl From<botwatch::CircuitOpen> for Error {
    fn from(_: botwatch::CircuitOpen) -> Self {
        Error
    }
}

#[botwatch::circuit_breaker(window = 10)]
fn submit() -> Result<(), Error> {
    Ok(())
}

fn main() {
    let _ = submit();
}
