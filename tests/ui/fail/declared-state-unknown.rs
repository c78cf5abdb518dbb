// `state == "..."` names one of the gauge's `states(...)`: a typo is caught at the name.
#[botwatch::gauge(states(0 = "running", 3 = "halted"), alert(state == "halte"))]
static BOT_STATE: botwatch::Gauge = botwatch::Gauge::new();

fn main() {}
