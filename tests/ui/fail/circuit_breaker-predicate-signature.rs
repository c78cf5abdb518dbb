#[derive(Debug)]
struct Error;

impl From<botwatch::CircuitOpen> for Error {
    fn from(_: botwatch::CircuitOpen) -> Self {
        Error
    }
}

fn is_transient(code: u16) -> bool {
    code >= 500
}

#[botwatch::circuit_breaker(failure_if = is_transient)]
fn submit() -> Result<(), Error> {
    Ok(())
}

fn main() {
    let _ = submit();
}
