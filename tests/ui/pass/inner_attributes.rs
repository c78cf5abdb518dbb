//! Inner attributes at the top of a body stay at the top of the generated function
//! (issue 13, shape 1), alone and stacked, sync and async.
#![deny(unused_variables)]

#[derive(Debug)]
struct Down;

impl From<botwatch::CircuitOpen> for Down {
    fn from(_: botwatch::CircuitOpen) -> Self {
        Down
    }
}

#[botwatch::counted]
fn counted_alone(x: u64) -> u64 {
    #![allow(unused_variables)]
    let unused = x;
    1
}

#[botwatch::timed]
#[botwatch::counted]
#[botwatch::circuit_breaker(name = "inner_attributes")]
fn stacked(x: u64) -> Result<u64, Down> {
    #![allow(unused_variables)]
    let unused = x;
    Ok(1)
}

#[botwatch::circuit_breaker(name = "inner_attributes_async")]
#[botwatch::counted]
async fn stacked_async(x: u64) -> Result<u64, Down> {
    #![allow(unused_variables)]
    let unused = x;
    Ok(1)
}

fn main() {
    assert_eq!(counted_alone(1), 1);
    assert_eq!(stacked(1).unwrap(), 1);
    drop(stacked_async(1));
}
