#[botwatch::timed(buckets = [0.1, 0.0, 1.0])]
fn simulate() {}

fn main() {
    simulate();
}
