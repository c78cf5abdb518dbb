#[botwatch::counted(labels(key = venue))]
fn place(venue: &str) -> usize {
    venue.len()
}

fn main() {
    let _ = place("binance");
}
