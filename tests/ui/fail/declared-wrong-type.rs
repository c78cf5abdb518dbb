/// A gauge declared on a counter's static.
#[botwatch::gauge]
static PROFIT: botwatch::Counter = botwatch::Counter::new();

fn main() {}
