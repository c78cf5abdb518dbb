// An `idle > 30m` alert on a label set needs the set kept for an hour: evicted sooner, it
// would leave `/metrics` and the alert would never see it idle.
#[botwatch::counted(
    labels(venue = venue),
    label_idle = 45m,
    alert(idle > 30m)
)]
fn fill(venue: &str) -> usize {
    venue.len()
}

fn main() {
    let _ = fill("binance");
}
