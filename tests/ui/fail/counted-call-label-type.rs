struct Venue;

#[botwatch::counted(labels(venue = venue))]
fn place(venue: Venue) -> u32 {
    let Venue = venue;
    1
}

fn main() {
    let _ = place(Venue);
}
