#[botwatch::timed(alert(p99 > 2y))]
fn simulate() {}

fn main() {
    simulate();
}
