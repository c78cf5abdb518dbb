// `age` reads a Unix time a gauge holds; a counter's total is no time.
#[botwatch::counter(alert(age > 30s))]
static FILLS_TOTAL: botwatch::Counter = botwatch::Counter::new();

fn main() {}
