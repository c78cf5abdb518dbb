#[botwatch::timed(alert(error_rate > 5%))]
fn simulate() {}

fn main() {
    simulate();
}
