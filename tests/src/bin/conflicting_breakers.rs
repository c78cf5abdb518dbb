//! Two functions name one breaker with different options: the first in (module, function)
//! order wins and a warning names both.

#[botwatch::circuit_breaker(name = "exchange", failures = 2)]
fn buy() -> Result<(), botwatch::CircuitOpen> {
    Err(botwatch::CircuitOpen::new(
        "test",
        std::time::Duration::ZERO,
    ))
}

#[botwatch::circuit_breaker(name = "exchange", failures = 7)]
fn sell() -> Result<(), botwatch::CircuitOpen> {
    Ok(())
}

fn main() {
    let mut failures = 0;
    while botwatch::breaker("exchange").map(|b| b.state()) == Some(botwatch::State::Closed) {
        buy().unwrap_err();
        failures += 1;
    }
    sell().unwrap_err();
    println!("failures in force: {failures}");
}
