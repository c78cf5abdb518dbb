// A unit is a short word shown after the value, not a sentence.
#[botwatch::gauge(unit = "US dollars of the main trading account")]
static BALANCE: botwatch::Gauge = botwatch::Gauge::new();

fn main() {}
