// A histogram has no one value to fall behind with.
#[botwatch::histogram(alert(lag > 5))]
static SLIPPAGE: botwatch::Histogram = botwatch::Histogram::new();

fn main() {}
