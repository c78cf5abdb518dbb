//! Per-call labels are lint-clean and leave the arguments to the body.
#![deny(warnings)]

struct Order {
    venue: String,
    size: u64,
}

#[botwatch::counted(labels(venue = order.venue, big = order.size > 10))]
#[botwatch::timed(labels(venue = order.venue.as_str()))]
fn place(order: Order) -> Result<u64, String> {
    let Order { venue, size } = order;
    if venue.is_empty() {
        return Err("no venue".to_owned());
    }
    Ok(size)
}

#[botwatch::counted(labels(venue = venue))]
async fn cancel(venue: String) -> usize {
    venue.len()
}

fn main() {
    assert_eq!(
        place(Order {
            venue: "binance".to_owned(),
            size: 3
        }),
        Ok(3)
    );
    drop(cancel("kraken".to_owned()));
}
