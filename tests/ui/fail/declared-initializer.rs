const START: botwatch::Gauge = botwatch::Gauge::new();

#[botwatch::gauge]
static BALANCE: botwatch::Gauge = START;

fn main() {}
