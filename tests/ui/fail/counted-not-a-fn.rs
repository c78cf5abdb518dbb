#[botwatch::counted]
struct Order {
    size: u64,
}

fn main() {
    let order = Order { size: 1 };
    let _ = order.size;
}
