#[botwatch::gauge]
static mut BALANCE: botwatch::Gauge = botwatch::Gauge::new();

fn main() {}
