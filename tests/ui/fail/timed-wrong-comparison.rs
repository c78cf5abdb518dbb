#[botwatch::timed(alert(p99 < 250ms))]
fn simulate() {}

fn main() {
    simulate();
}
