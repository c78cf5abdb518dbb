#[botwatch::timed(slo(objective = 99.9%))]
fn simulate() {}

fn main() {
    simulate();
}
