//! Per-key breakers (`per = ..., max_keys = N`) through the attribute: one breaker per
//! venue, a `key` label on every series, eviction of idle closed keys, and the shared
//! `__overflow__` breaker when every slot is busy.

use botwatch::{CircuitOpen, State};
use botwatch_tests::Exposition;
use botwatch_tests::VenueError;

struct Venue {
    id: String,
}

impl Venue {
    fn new(id: &str) -> Venue {
        Venue { id: id.to_owned() }
    }

    fn id(&self) -> &str {
        &self.id
    }
}

#[botwatch::circuit_breaker(name = "venue", per = venue.id(), failures = 1, reset = 1h)]
fn place_order(venue: Venue, fail: bool) -> Result<String, VenueError> {
    if fail {
        Err(VenueError::Down)
    } else {
        Ok(venue.id)
    }
}

/// What a venue answers: a quote, or an error when it is down.
fn outcome(fail: bool) -> Result<u32, VenueError> {
    if fail {
        Err(VenueError::Down)
    } else {
        Ok(1)
    }
}

/// The one exporter of this test binary (a process installs one), on a free port.
fn exporter_addr() -> std::net::SocketAddr {
    static ADDR: std::sync::OnceLock<std::net::SocketAddr> = std::sync::OnceLock::new();
    *ADDR.get_or_init(|| {
        let exporter = botwatch::Exporter::new()
            .listen("127.0.0.1:0".parse().unwrap())
            .install()
            .expect("install");
        let addr = exporter.local_addr();
        std::mem::forget(exporter);
        addr
    })
}

fn handle(name: &str) -> &'static botwatch::Breaker {
    botwatch::breaker(name).expect("declared")
}

fn state_series(breaker: &str, key: &str) -> Option<f64> {
    Exposition::parse(&botwatch::render()).value(
        "circuit_breaker_state",
        &[("breaker", breaker), ("key", key)],
    )
}

#[test]
fn each_key_has_its_own_breaker_and_series() {
    assert_eq!(
        place_order(Venue::new("binance"), true),
        Err(VenueError::Down)
    );
    let binance = handle("venue").key("binance").expect("binance was used");
    assert_eq!(binance.state(), State::Open);
    assert_eq!(binance.snapshot().key.as_deref(), Some("binance"));
    assert!(matches!(
        place_order(Venue::new("binance"), false),
        Err(VenueError::Open(_))
    ));
    assert_eq!(
        place_order(Venue::new("kraken"), false),
        Ok("kraken".to_owned()),
        "Binance failing must not reject Kraken orders"
    );
    assert_eq!(
        handle("venue").key("kraken").unwrap().state(),
        State::Closed
    );
    assert_eq!(state_series("venue", "binance"), Some(1.0));
    assert_eq!(state_series("venue", "kraken"), Some(0.0));
    assert!(handle("venue").key("bitstamp").is_none(), "never used");
}

#[botwatch::circuit_breaker(name = "small_venue", per = venue, max_keys = 2, failures = 1, reset = 1h)]
fn quote(venue: &str, fail: bool) -> Result<u32, VenueError> {
    outcome(fail)
}

#[test]
fn idle_closed_keys_are_evicted_then_busy_ones_overflow() {
    quote("a", false).unwrap();
    quote("b", false).unwrap();
    // Both slots taken; neither key is open, so the sweep evicts the first idle one.
    quote("c", false).unwrap();
    let small = handle("small_venue");
    assert!(small.key("a").is_none(), "a was evicted");
    assert_eq!(
        small.key("c").unwrap().snapshot().successes,
        1,
        "c starts at zero"
    );
    assert_eq!(
        state_series("small_venue", "a"),
        None,
        "a's series are gone"
    );
    // Open both remaining keys: no slot can be evicted now.
    quote("b", true).unwrap_err();
    quote("c", true).unwrap_err();
    assert_eq!(
        quote("d", false),
        Ok(1),
        "d runs through the overflow breaker"
    );
    let overflow = small.key("__overflow__").expect("the overflow breaker");
    assert_eq!(overflow.snapshot().successes, 1);
    assert!(small.key("d").is_none());
    // The overflow breaker is shared: one failure there rejects every new key.
    quote("d", true).unwrap_err();
    assert!(matches!(quote("e", false), Err(VenueError::Open(_))));
    assert_eq!(state_series("small_venue", "__overflow__"), Some(1.0));
    // An operator closing the handle closes every key, and slots can be evicted again.
    small.force_closed();
    assert_eq!(small.key("b").unwrap().state(), State::Closed);
    assert_eq!(overflow.state(), State::Closed);
    // "d", sent to the overflow breaker before, now gets a slot of its own.
    quote("d", false).unwrap();
    assert_eq!(small.key("d").unwrap().snapshot().successes, 1);
}

#[botwatch::circuit_breaker(name = "recycled_venue", per = venue, max_keys = 2, failures = 1, reset = 1h)]
fn hedge(venue: &str, fail: bool) -> Result<u32, VenueError> {
    outcome(fail)
}

#[test]
fn a_key_whose_breaker_went_to_another_key_gets_a_breaker_of_its_own() {
    // This thread calls "a" first, so it knows a's breaker when "c" takes it over.
    hedge("a", false).unwrap();
    hedge("b", false).unwrap();
    hedge("c", false).unwrap();
    let family = handle("recycled_venue");
    assert!(family.key("a").is_none(), "a was evicted for c");
    hedge("c", true).unwrap_err();
    assert_eq!(family.key("c").unwrap().state(), State::Open);
    // "a" again: not c's open breaker (its old one), but the idle "b"'s slot, closed.
    assert_eq!(hedge("a", false), Ok(1));
    assert_eq!(family.key("a").unwrap().snapshot().successes, 1);
    assert!(family.key("b").is_none(), "b was evicted for a");
    let c = family.key("c").unwrap().snapshot();
    assert_eq!((c.successes, c.failures, c.rejected), (1, 1, 0));
}

#[botwatch::circuit_breaker(name = "spot_venue", per = venue, failures = 1, reset = 1h)]
fn spot(venue: &str, fail: bool) -> Result<u32, VenueError> {
    outcome(fail)
}

#[botwatch::circuit_breaker(name = "perp_venue", per = venue, failures = 1, reset = 1h)]
fn perp(venue: &str, fail: bool) -> Result<u32, VenueError> {
    outcome(fail)
}

#[test]
fn one_key_in_two_per_key_breakers_is_two_breakers() {
    // One thread, one key, two families: each call finds its own family's breaker.
    spot("binance", false).unwrap();
    perp("binance", false).unwrap();
    spot("binance", true).unwrap_err();
    assert!(matches!(spot("binance", false), Err(VenueError::Open(_))));
    assert_eq!(
        perp("binance", false),
        Ok(1),
        "perp's binance is still closed"
    );
    assert_eq!(
        handle("perp_venue").key("binance").unwrap().state(),
        State::Closed
    );
}

#[botwatch::circuit_breaker(name = "served_venue", per = venue, failures = 1, reset = 1h)]
fn cancel(venue: &str, fail: bool) -> Result<(), VenueError> {
    if fail {
        Err(VenueError::Down)
    } else {
        Ok(())
    }
}

#[test]
fn the_exporter_serves_every_key() {
    let addr = exporter_addr();
    cancel("okx", false).unwrap();
    cancel("bybit", true).unwrap_err();
    let body = botwatch_tests::http_get(addr, "/metrics").unwrap().body;
    let metrics = Exposition::parse(&body);
    let failures = |key| {
        metrics.value(
            "circuit_breaker_failures_total",
            &[("breaker", "served_venue"), ("key", key)],
        )
    };
    assert_eq!(failures("okx"), Some(0.0));
    assert_eq!(failures("bybit"), Some(1.0));
    let health = botwatch_tests::http_get(addr, "/health").unwrap();
    assert_eq!(health.status, 503, "a key is open");
    let report: serde_json::Value = serde_json::from_str(&health.body).unwrap();
    let bybit = report["breakers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "served_venue" && b["key"] == "bybit")
        .expect("bybit in /health");
    assert_eq!(bybit["state"], "open");
}

#[botwatch::circuit_breaker(name = "checked_venue", per = venue, failures = 1, reset = 1h)]
fn amend(venue: &str, fail: bool) -> Result<(), VenueError> {
    if fail {
        Err(VenueError::Down)
    } else {
        Ok(())
    }
}

#[test]
#[ignore = "slow: promtool"]
fn promtool_accepts_the_series_of_every_key() {
    amend("okx", false).unwrap();
    amend("bybit", true).unwrap_err();
    let Some(promtool) = botwatch_tests::tool("promtool") else {
        return;
    };
    botwatch_tests::run_ok_with_input(&promtool, &["check", "metrics"], &botwatch::render());
}

#[botwatch::circuit_breaker(name = "kill_switch_venue", per = venue, failures = 1, reset = 1h)]
fn route(venue: &str) -> Result<u32, VenueError> {
    outcome(false)
}

/// Issue 35, fault 1: `force_open()` on the handle is "stop all trading": a venue first
/// used afterwards is held open too, until `force_closed()` (or `reset()`) ends the hold.
#[test]
fn force_open_on_the_handle_holds_keys_first_used_afterwards() {
    route("binance").unwrap();
    let family = handle("kill_switch_venue");
    family.force_open();
    assert!(matches!(route("binance"), Err(VenueError::Open(_))));
    assert!(
        matches!(route("kraken"), Err(VenueError::Open(_))),
        "a venue first used after the switch is held open too"
    );
    assert_eq!(family.key("kraken").unwrap().state(), State::Open);
    family.force_closed();
    assert_eq!(route("kraken"), Ok(1));
    assert_eq!(route("okx"), Ok(1), "the hold ended with force_closed");
    family.force_open();
    family.reset();
    assert_eq!(route("bybit"), Ok(1), "reset ends the hold too");
}

#[botwatch::circuit_breaker(name = "named_venue", per = venue, failures = 1, reset = 1h)]
fn withdraw(venue: &str, fail: bool) -> Result<u32, VenueError> {
    outcome(fail)
}

#[botwatch::circuit_breaker(name = "plain_named_venue", failures = 1, reset = 1h)]
fn deposit(fail: bool) -> Result<u32, VenueError> {
    outcome(fail)
}

fn rejection(result: Result<u32, VenueError>) -> CircuitOpen {
    match result {
        Err(VenueError::Open(open)) => open,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

/// Issue 33, item 4: a per-key rejection names its key, in `key()` and in `Display`; a
/// plain breaker's has none.
#[test]
fn a_per_key_rejection_names_its_key() {
    withdraw("binance", true).unwrap_err();
    let open = rejection(withdraw("binance", false));
    assert_eq!(open.breaker, "named_venue");
    assert_eq!(open.key(), Some("binance"));
    let text = open.to_string();
    assert!(
        text.starts_with("circuit breaker \"named_venue\" (key \"binance\") is open; retry in "),
        "{text}"
    );
    deposit(true).unwrap_err();
    let plain = rejection(deposit(false));
    assert_eq!(plain.key(), None);
    assert!(
        plain
            .to_string()
            .starts_with("circuit breaker \"plain_named_venue\" is open; retry in "),
        "{plain}"
    );
    // A forced rejection of a key made afterwards names it too.
    handle("named_venue").force_open();
    assert_eq!(rejection(withdraw("kraken", false)).key(), Some("kraken"));
    handle("named_venue").reset();
}

#[botwatch::circuit_breaker(name = "long_key_venue", per = venue, failures = 1, reset = 1h)]
fn transfer(venue: &str, fail: bool) -> Result<u32, VenueError> {
    outcome(fail)
}

/// Issue 34, item 7: a key is cut to 256 bytes, as a label value is: one 200 KB key made
/// `/metrics` 5.6 MB. Served over loopback by the real exporter.
#[test]
fn a_200_kb_key_is_cut_to_256_bytes() {
    let huge = "k".repeat(200 * 1024);
    transfer(&huge, true).unwrap_err();
    let open = rejection(transfer(&huge, false));
    let cut = "k".repeat(256);
    // Lengths, not texts: a failure message quoting 200 KB helps no one.
    assert_eq!(open.key().map(str::len), Some(256));
    let family = handle("long_key_venue");
    let breaker = family.key(&huge).expect("found by its full key");
    assert_eq!(breaker.snapshot().key.map(|k| k.len()), Some(256));
    assert!(
        std::ptr::eq(breaker, family.key(&cut).unwrap()),
        "one breaker"
    );
    let body = botwatch_tests::http_get(exporter_addr(), "/metrics")
        .unwrap()
        .body;
    assert!(
        body.len() < 256 * 1024,
        "/metrics is {} bytes with one long key",
        body.len()
    );
    assert_eq!(
        Exposition::parse(&body).value(
            "circuit_breaker_state",
            &[("breaker", "long_key_venue"), ("key", &cut)],
        ),
        Some(1.0)
    );
}
