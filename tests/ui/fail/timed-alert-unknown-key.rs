#[botwatch::timed(alert(p99 > 250ms, severity = "page", team = "execution"))]
fn simulate() {}

fn main() {
    simulate();
}
