#[botwatch::counted(lables(venue = "binance"))]
fn submit() {}

fn main() {
    submit();
}
