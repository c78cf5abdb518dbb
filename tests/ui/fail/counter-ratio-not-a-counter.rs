// An increase ratio's other metric must be a counter declared with #[botwatch::counter].
#[botwatch::gauge]
static QUEUE_LENGTH: botwatch::Gauge = botwatch::Gauge::new();

#[botwatch::counter(alert(increase / QUEUE_LENGTH < 20%))]
static BUNDLES_INCLUDED: botwatch::Counter = botwatch::Counter::new();

#[botwatch::counter(alert(increase / BUNDLES_SUBMITED < 20%))]
static BUNDLES_LANDED: botwatch::Counter = botwatch::Counter::new();

#[botwatch::counter]
static BUNDLES_SUBMITTED: botwatch::Counter = botwatch::Counter::new();

fn main() {}
