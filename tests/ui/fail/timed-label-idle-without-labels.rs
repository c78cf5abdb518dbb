#[botwatch::timed(labels(venue = "binance"), label_idle = 1h)]
fn place() -> u32 {
    1
}

fn main() {
    let _ = place();
}
