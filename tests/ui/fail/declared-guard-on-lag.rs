// `lag` compares with the best replica of the fleet: only Prometheus sees the fleet.
#[botwatch::gauge(guard(lag > 5, open = "trading"))]
static BLOCK_HEIGHT: botwatch::Gauge = botwatch::Gauge::new();

fn main() {}
