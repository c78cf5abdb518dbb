#[botwatch::timed(alert(p99 > 250))]
fn simulate() {}

fn main() {
    simulate();
}
