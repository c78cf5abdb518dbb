#[botwatch::timed(slo(objective = 100%, latency = 250ms))]
fn simulate() {}

fn main() {
    simulate();
}
