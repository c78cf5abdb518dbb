#[botwatch::timed(labels(venue = venue), max_series = 0)]
fn place(venue: &str) -> usize {
    venue.len()
}

fn main() {
    let _ = place("binance");
}
