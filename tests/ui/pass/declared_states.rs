//! A gauge with a unit and named states, and an alert on one state: the rule reads the
//! state's value, named after the state.

#[no_implicit_prelude]
mod bot {
    /// Where the bot's state machine is.
    #[::botwatch::gauge(
        states(0 = "running", 1 = "paused", 3 = "halted"),
        alert(state == "halted", severity = "critical")
    )]
    pub(crate) static BOT_STATE: ::botwatch::Gauge = ::botwatch::Gauge::new();

    /// Balance of the trading account.
    #[::botwatch::gauge(unit = "USD", alert(value < 1000))]
    pub(crate) static BALANCE_USD: ::botwatch::Gauge = ::botwatch::Gauge::new();

    #[::botwatch::histogram(unit = "bps", buckets = [1, 5, 10])]
    pub(crate) static SLIPPAGE: ::botwatch::Histogram = ::botwatch::Histogram::new();
}

fn main() {
    bot::BOT_STATE.set(3.0);
    bot::BALANCE_USD.set(5_000.0);
    bot::SLIPPAGE.record(2.0);
    let rules = botwatch::rules::yaml();
    assert!(rules.contains("alert: BotStateHalted"), "{rules}");
    assert!(rules.contains("last_over_time(bot_state[45s]) == 3"), "{rules}");
}
