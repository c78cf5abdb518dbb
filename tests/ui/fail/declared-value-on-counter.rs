#[botwatch::counter(alert(value < 0.5))]
static PROFIT: botwatch::Counter = botwatch::Counter::new();

fn main() {}
