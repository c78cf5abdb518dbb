#[botwatch::gauge(name = "balance")]
static WALLET_A: botwatch::Gauge = botwatch::Gauge::new();

#[botwatch::gauge(name = "balance")]
static WALLET_B: botwatch::Gauge = botwatch::Gauge::new();

fn main() {}
