#[botwatch::counted(labels(venue = "binance"), max_series = 10)]
fn place() -> u32 {
    1
}

fn main() {
    let _ = place();
}
