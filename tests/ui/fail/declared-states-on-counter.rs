// A counter's total only grows: it has no states to name.
#[botwatch::counter(states(0 = "running"))]
static RESTARTS_TOTAL: botwatch::Counter = botwatch::Counter::new();

fn main() {}
