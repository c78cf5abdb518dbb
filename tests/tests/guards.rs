//! Kill switches: `guard(...)` on declared metrics holding breakers open, through the real
//! macros, breakers, `/health`, `/metrics` and `snapshot()`.
//!
//! Time is the guards' held clock (`botwatch::__private::guard_clock`), moved by the tests
//! and judged with `guards_tick()`, so `for`, `stale` and `age` are tested without sleeping
//! (the ticker thread judges at the same held time, so it cannot change an outcome). The
//! tests share that clock, so they run one at a time.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use botwatch::__private::{guard_clock, guards_tick};
use botwatch::{CircuitOpen, Gauge, State};

fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    let guard = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    guard_clock::hold();
    guard
}

fn exporter() -> &'static botwatch::ExporterHandle {
    static EXPORTER: OnceLock<botwatch::ExporterHandle> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        botwatch::Exporter::new()
            .without_listener()
            .install()
            .expect("install")
    })
}

/// `/health`'s status and its entry for the guard `name`.
fn health_of(name: &str) -> (u16, serde_json::Value) {
    let (status, body) = exporter().health();
    let json: serde_json::Value = serde_json::from_str(&body).expect("health is JSON");
    let entry = json["guards"]
        .as_array()
        .expect("a guards list")
        .iter()
        .find(|g| g["name"] == name)
        .cloned()
        .expect("the guard is listed");
    (status, entry)
}

fn engaged_series(guard: &str, breaker: &str) -> Option<f64> {
    let exposition = botwatch_tests::Exposition::parse(&exporter().render_metrics());
    exposition.value(
        "botwatch_guard_engaged",
        &[("guard", guard), ("breaker", breaker)],
    )
}

// ---- drawdown: the contract's kill switch -------------------------------------------

/// Drawdown of the day, as a fraction of the morning's equity.
#[botwatch::gauge(guard(value > 5%, open = "trading"))]
static DRAWDOWN: Gauge = Gauge::new();

#[botwatch::timed]
#[botwatch::circuit_breaker(name = "trading", reset = 1h)]
fn place_order() -> Result<(), CircuitOpen> {
    Ok(())
}

/// Catches: a guard that never holds its breaker, a rejection without the guard's reason,
/// an engaged series or `/health` that does not follow, `#[timed]` timing rejected calls,
/// and a guard that never lets go.
#[test]
fn drawdown_past_the_line_halts_trading_and_resumes_below_it() {
    let _serial = serial();
    exporter();
    DRAWDOWN.set(0.01);
    place_order().expect("below the line: trading");
    let timed_before = botwatch::snapshot().durations("place_order").unwrap().count;

    DRAWDOWN.set(0.06);
    let rejected = place_order().expect_err("past the line: halted");
    assert_eq!(rejected.guard(), Some("Drawdown"));
    let text = rejected.to_string();
    assert!(
        text.contains("\"trading\"") && text.contains("guard:Drawdown"),
        "{text}"
    );
    assert_eq!(botwatch::breaker("trading").unwrap().state(), State::Open);
    let snapshot = botwatch::snapshot();
    let guard = snapshot.guard("Drawdown").unwrap();
    assert!(guard.engaged);
    assert_eq!(guard.breakers, ["trading"]);
    assert_eq!(
        snapshot.durations("place_order").unwrap().count,
        timed_before,
        "a rejected call is not timed"
    );
    assert_eq!(engaged_series("Drawdown", "trading"), Some(1.0));
    let (status, entry) = health_of("Drawdown");
    assert_eq!(status, 503);
    assert_eq!(entry["engaged"], true);
    assert_eq!(entry["condition"], "value > 0.05");
    assert_eq!(entry["breakers"], serde_json::json!(["trading"]));
    assert!(entry["since"].as_f64().is_some());
    let (_, body) = exporter().health();
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    let trading = health["breakers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "trading")
        .cloned()
        .unwrap();
    assert_eq!(
        (trading["state"].clone(), trading["reason"].clone()),
        ("open".into(), "guard:Drawdown".into())
    );
    assert_eq!(
        snapshot.breaker("trading").unwrap().held_by,
        Some("Drawdown")
    );
    let page = exporter().live_page();
    assert!(
        page.contains("Guard Drawdown engaged: drawdown = 0.06 (value &gt; 0.05) since ")
            && page.contains("; holding trading open"),
        "the live page's banner"
    );
    let live: serde_json::Value = serde_json::from_str(&exporter().snapshot_json()).unwrap();
    let banner = live["guards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Drawdown")
        .cloned()
        .unwrap();
    assert_eq!(
        (banner["engaged"].clone(), banner["value"].clone()),
        (true.into(), 0.06.into())
    );

    DRAWDOWN.set(0.02);
    place_order().expect("cleared: trading again");
    assert_eq!(engaged_series("Drawdown", "trading"), Some(0.0));
    let (_, entry) = health_of("Drawdown");
    assert_eq!(entry["engaged"], false);
    assert_eq!(entry["since"], serde_json::Value::Null);
    assert!(!exporter().live_page().contains("Guard Drawdown engaged"));
    assert_eq!(
        botwatch::snapshot().breaker("trading").unwrap().held_by,
        None
    );
}

// ---- latch --------------------------------------------------------------------------

/// Losing trades in a row.
#[botwatch::gauge(guard(value > 3, open = "latched_desk", latch))]
static LOSS_STREAK: Gauge = Gauge::new();

#[botwatch::circuit_breaker(name = "latched_desk", reset = 1h)]
fn latched_trade() -> Result<(), CircuitOpen> {
    Ok(())
}

/// Catches `latch` ignored (closing when the streak ends) and a latch `reset()` cannot end.
#[test]
fn a_latched_guard_stays_open_until_reset() {
    let _serial = serial();
    LOSS_STREAK.set(4.0);
    assert!(latched_trade().is_err());
    LOSS_STREAK.set(0.0);
    assert_eq!(
        latched_trade().unwrap_err().guard(),
        Some("LossStreak"),
        "latched: still held"
    );
    assert!(botwatch::snapshot().guard("LossStreak").unwrap().engaged);
    botwatch::breaker("latched_desk").unwrap().reset();
    latched_trade().expect("reset ends the latch");
    assert!(!botwatch::snapshot().guard("LossStreak").unwrap().engaged);
}

// ---- for ----------------------------------------------------------------------------

/// Spread in basis points.
#[botwatch::gauge(guard(value > 10, open = "spread_desk", for = 2s))]
static SPREAD_BPS: Gauge = Gauge::new();

#[botwatch::circuit_breaker(name = "spread_desk", reset = 1h)]
fn quote() -> Result<(), CircuitOpen> {
    Ok(())
}

/// Catches `for` ignored (a one-update spike halting quoting) and a `for` that never ends
/// without a further update (the ticker not judging it).
#[test]
fn for_debounces_a_one_update_spike() {
    let _serial = serial();
    SPREAD_BPS.set(50.0);
    quote().expect("the spike has not lasted 2s");
    SPREAD_BPS.set(3.0);
    guard_clock::advance(Duration::from_secs(3));
    guards_tick();
    quote().expect("the spike ended before 2s");

    SPREAD_BPS.set(50.0);
    guard_clock::advance(Duration::from_millis(1900));
    guards_tick();
    quote().expect("1.9s of 2s");
    guard_clock::advance(Duration::from_millis(200));
    guards_tick();
    assert_eq!(quote().unwrap_err().guard(), Some("SpreadBps"));
    SPREAD_BPS.set(3.0);
    quote().expect("cleared at once: no `for` on clearing");
}

// ---- stale ---------------------------------------------------------------------------

/// Last price of the feed.
#[botwatch::gauge(guard(stale > 5s, open = "feed_desk"))]
static FEED_PRICE: Gauge = Gauge::new();

#[botwatch::circuit_breaker(name = "feed_desk", reset = 1h)]
fn trade_on_feed() -> Result<(), CircuitOpen> {
    Ok(())
}

/// Catches `stale` judged from the value, a guard that engages early, and an update that
/// does not clear it.
#[test]
fn a_silent_feed_engages_past_its_deadline_and_an_update_clears_it() {
    let _serial = serial();
    FEED_PRICE.set(100.0);
    guards_tick(); // dates the update now
    guard_clock::advance(Duration::from_millis(4900));
    guards_tick();
    trade_on_feed().expect("4.9s of silence");
    guard_clock::advance(Duration::from_millis(250));
    guards_tick();
    assert_eq!(trade_on_feed().unwrap_err().guard(), Some("FeedPrice"));
    FEED_PRICE.set(100.0); // the same value: an update all the same
    guards_tick();
    trade_on_feed().expect("updated: fresh");
}

/// Catches a ticker that never starts: with no update and no explicit tick, the guard
/// engages on its own once the held clock is past the deadline. (Bounded at 5 s of real
/// time; the ticker ticks every 100 ms.)
#[test]
fn the_ticker_judges_a_silent_feed_without_any_update() {
    let _serial = serial();
    FEED_PRICE.set(1.0);
    guards_tick();
    trade_on_feed().expect("fresh");
    guard_clock::advance(Duration::from_secs(6));
    let start = Instant::now();
    while trade_on_feed().is_ok() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the ticker did not engage the stale guard"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    FEED_PRICE.set(1.0);
    guards_tick();
}

// ---- two guards, one breaker ----------------------------------------------------------

/// Gas reserve of the wallet, in ETH.
#[botwatch::gauge(guard(value < 0.5, open = "shared_desk"))]
static GAS_RESERVE_ETH: Gauge = Gauge::new();

/// Open exposure, in USD.
#[botwatch::gauge(guard(value > 100, open = ["shared_desk", "hedge_desk"]))]
static EXPOSURE_USD: Gauge = Gauge::new();

#[botwatch::circuit_breaker(name = "shared_desk", reset = 1h)]
fn shared_trade() -> Result<(), CircuitOpen> {
    Ok(())
}

#[botwatch::circuit_breaker(name = "hedge_desk", reset = 1h)]
fn hedge() -> Result<(), CircuitOpen> {
    Ok(())
}

/// Catches a breaker that closes when the first of its two guards clears, and a guard
/// holding only the first breaker of its list.
#[test]
fn two_guards_on_one_breaker_both_must_clear() {
    let _serial = serial();
    GAS_RESERVE_ETH.set(1.0);
    EXPOSURE_USD.set(0.0);
    shared_trade().expect("both clear");
    GAS_RESERVE_ETH.set(0.1);
    EXPOSURE_USD.set(500.0);
    assert_eq!(hedge().unwrap_err().guard(), Some("ExposureUsd"));
    assert!(shared_trade().is_err());
    GAS_RESERVE_ETH.set(1.0);
    assert_eq!(
        shared_trade().unwrap_err().guard(),
        Some("ExposureUsd"),
        "the exposure guard still holds it"
    );
    EXPOSURE_USD.set(0.0);
    shared_trade().expect("both cleared");
    hedge().expect("both cleared");
}

// ---- a guard and a failing venue on one breaker ---------------------------------------

/// Price impact of the last order, in percent.
#[botwatch::gauge(guard(value > 2, open = "venue_desk"))]
static PRICE_IMPACT: Gauge = Gauge::new();

static VENUE_UP: AtomicBool = AtomicBool::new(true);

#[botwatch::circuit_breaker(name = "venue_desk", failures = 1, reset = 30s)]
fn venue_order() -> Result<(), CircuitOpen> {
    if VENUE_UP.load(Ordering::SeqCst) {
        Ok(())
    } else {
        Err(CircuitOpen::new(
            "the venue said no",
            Duration::from_secs(1),
        ))
    }
}

/// Catches a guard's release that closes a breaker its venue's failures opened, and a
/// reason that names no guard while one holds it.
#[test]
fn a_guard_and_a_failing_venue_clear_independently() {
    let _serial = serial();
    // The breaker's reset runs on tokio's clock: paused, it moves only when told to.
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
        .block_on(guard_and_failing_venue());
}

async fn guard_and_failing_venue() {
    PRICE_IMPACT.set(0.0);
    VENUE_UP.store(false, Ordering::SeqCst);
    let failed = venue_order().unwrap_err();
    assert_eq!(failed.guard(), None);
    let rejected = venue_order().unwrap_err();
    assert_eq!((rejected.breaker, rejected.guard()), ("venue_desk", None));
    PRICE_IMPACT.set(5.0);
    assert_eq!(
        venue_order().unwrap_err().guard(),
        Some("PriceImpact"),
        "both: the guard's reason wins"
    );
    VENUE_UP.store(true, Ordering::SeqCst);
    tokio::time::advance(Duration::from_secs(31)).await;
    assert!(venue_order().is_err(), "held: no probe, whatever the venue");
    PRICE_IMPACT.set(0.0);
    let breaker = botwatch::breaker("venue_desk").unwrap();
    assert_eq!(
        breaker.state(),
        State::Open,
        "the venue never passed a probe"
    );
    venue_order().expect("its reset passed: the probe passes");
    assert_eq!(breaker.state(), State::Closed);
}

// ---- a labelled family ------------------------------------------------------------------

/// Position per symbol.
#[botwatch::gauge(labels(symbol), guard(value > 10, open = "position_desk"))]
static POSITION: Gauge = Gauge::new();

#[botwatch::circuit_breaker(name = "position_desk", reset = 1h)]
fn add_to_position() -> Result<(), CircuitOpen> {
    Ok(())
}

/// Catches a family guard judged only on the last set updated (ETH's small position would
/// clear BTC's) and one that never clears.
#[test]
fn a_family_guard_holds_while_any_label_set_is_past_the_line() {
    let _serial = serial();
    POSITION.labels(["BTC"]).set(20.0);
    assert!(add_to_position().is_err());
    POSITION.labels(["ETH"]).set(5.0);
    assert!(add_to_position().is_err(), "BTC is still past the line");
    POSITION.labels(["BTC"]).set(1.0);
    add_to_position().expect("no set past the line");
}

// ---- a ratio, judged on the other gauge's update ----------------------------------------

/// Volume traded today, in USD.
#[botwatch::gauge(guard(value / DAILY_LIMIT_USD > 80%, open = "volume_desk"))]
static DAILY_VOLUME_USD: Gauge = Gauge::new();

/// The day's volume limit, in USD.
#[botwatch::gauge]
static DAILY_LIMIT_USD: Gauge = Gauge::new();

#[botwatch::circuit_breaker(name = "volume_desk", reset = 1h)]
fn trade_volume() -> Result<(), CircuitOpen> {
    Ok(())
}

/// Catches a ratio guard judged only on its own gauge's updates: lowering the limit engages
/// it, raising it clears it.
#[test]
fn a_ratio_guard_is_judged_when_the_other_gauge_moves() {
    let _serial = serial();
    DAILY_LIMIT_USD.set(1000.0);
    DAILY_VOLUME_USD.set(500.0);
    trade_volume().expect("50% of the limit");
    DAILY_LIMIT_USD.set(600.0);
    assert_eq!(trade_volume().unwrap_err().guard(), Some("DailyVolumeUsd"));
    DAILY_LIMIT_USD.set(2000.0);
    trade_volume().expect("25% of the limit");
}

// ---- one gauge read by two guards ----------------------------------------------------

/// The public RPC's head block.
#[botwatch::gauge]
static PUBLIC_HEAD: Gauge = Gauge::new();

/// Node A's head block.
#[botwatch::gauge(guard(value - PUBLIC_HEAD < -5, open = "node_a_desk"))]
static NODE_A_HEAD: Gauge = Gauge::new();

/// Node B's head block.
#[botwatch::gauge(guard(value - PUBLIC_HEAD < -5, open = "node_b_desk"))]
static NODE_B_HEAD: Gauge = Gauge::new();

#[botwatch::circuit_breaker(name = "node_a_desk", reset = 1h)]
fn send_via_a() -> Result<(), CircuitOpen> {
    Ok(())
}

#[botwatch::circuit_breaker(name = "node_b_desk", reset = 1h)]
fn send_via_b() -> Result<(), CircuitOpen> {
    Ok(())
}

/// Catches a gauge that judges only the first of the guards reading it: the public head
/// moving on engages both nodes' gap guards, and moving back clears both.
#[test]
fn a_gauge_read_by_two_guards_judges_both() {
    let _serial = serial();
    NODE_A_HEAD.set(100.0);
    NODE_B_HEAD.set(100.0);
    PUBLIC_HEAD.set(100.0);
    send_via_a().expect("in sync");
    send_via_b().expect("in sync");
    PUBLIC_HEAD.set(110.0);
    assert_eq!(send_via_a().unwrap_err().guard(), Some("NodeAHead"));
    assert_eq!(send_via_b().unwrap_err().guard(), Some("NodeBHead"));
    PUBLIC_HEAD.set(101.0);
    send_via_a().expect("back in sync");
    send_via_b().expect("back in sync");
}

// ---- a watchdog ----------------------------------------------------------------------

/// Orders waiting for an answer.
#[botwatch::gauge(guard(value > 100))]
static PENDING_ORDERS: Gauge = Gauge::new();

/// Catches a watchdog that leaves `/health` at 200 or lists no guard.
#[test]
fn a_watchdog_marks_the_bot_degraded_and_rejects_nothing() {
    let _serial = serial();
    PENDING_ORDERS.set(500.0);
    let (status, entry) = health_of("PendingOrders");
    assert_eq!(status, 503);
    assert_eq!(entry["engaged"], true);
    assert_eq!(entry["breakers"], serde_json::json!([]));
    assert_eq!(engaged_series("PendingOrders", ""), Some(1.0));
    PENDING_ORDERS.set(0.0);
    assert_eq!(health_of("PendingOrders").1["engaged"], false);
}

// ---- the race ---------------------------------------------------------------------------

/// Drawdown as the race test writes it.
#[botwatch::gauge(guard(value > 0.5, open = "race_desk"))]
static RACE_DRAWDOWN: Gauge = Gauge::new();

#[botwatch::circuit_breaker(name = "race_desk", reset = 1h)]
fn race_trade() -> Result<(), CircuitOpen> {
    Ok(())
}

/// Writers on several threads move the value below the line, then (all of them, past a
/// barrier) only above it, while callers run. Catches a guard judged after the update
/// returns (or on another thread): no call may be admitted once an update past the line
/// has returned.
#[test]
fn no_call_is_admitted_after_an_engaging_update_returned() {
    let _serial = serial();
    for round in 0..100u64 {
        RACE_DRAWDOWN.set(0.0);
        race_trade().expect("below the line");
        let writers = 3;
        let barrier = Arc::new(Barrier::new(writers));
        let engaged_returned = Arc::new(AtomicBool::new(false));
        let violations = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicBool::new(false));
        std::thread::scope(|scope| {
            for caller in 0..2 {
                let (engaged_returned, violations, done) =
                    (engaged_returned.clone(), violations.clone(), done.clone());
                scope.spawn(move || {
                    let _ = caller;
                    while !done.load(Ordering::SeqCst) {
                        let after = engaged_returned.load(Ordering::SeqCst);
                        if race_trade().is_ok() && after {
                            violations.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                });
            }
            let handles: Vec<_> = (0..writers)
                .map(|writer| {
                    let (barrier, engaged_returned) = (barrier.clone(), engaged_returned.clone());
                    scope.spawn(move || {
                        for i in 0..200u64 {
                            RACE_DRAWDOWN.set(((i + writer as u64 + round) % 50) as f64 / 100.0);
                        }
                        barrier.wait();
                        for i in 0..200u64 {
                            RACE_DRAWDOWN.set(0.6 + (i % 7) as f64 / 10.0);
                            engaged_returned.store(true, Ordering::SeqCst);
                        }
                    })
                })
                .collect();
            for handle in handles {
                handle.join().unwrap();
            }
            done.store(true, Ordering::SeqCst);
        });
        assert_eq!(violations.load(Ordering::SeqCst), 0, "round {round}");
        assert!(race_trade().is_err(), "round {round}: engaged at the end");
    }
    RACE_DRAWDOWN.set(0.0);
}

// ---- the generated alert, through the real promtool ------------------------------------

/// Catches a GuardEngaged alert that is missing, not critical, waits a `for`, or whose
/// generated unit tests do not pass the real promtool (firing while engaged, silent when
/// cleared or never engaged).
#[test]
#[ignore = "slow: promtool"]
fn every_guard_has_a_critical_guard_engaged_alert_that_passes_promtool() {
    use std::ffi::OsStr;

    use botwatch_tests::{promtool_test_rules, run_ok, scratch_dir, tool, write_unit_tests};

    let set = botwatch::rules::rule_set().expect("no duplicate alerts");
    let names: Vec<&str> = set.alerts.iter().map(|a| a.name.as_str()).collect();
    for guard in [
        "DrawdownGuardEngaged",
        "LossStreakGuardEngaged",
        "SpreadBpsGuardEngaged",
        "FeedPriceGuardEngaged",
        "GasReserveEthGuardEngaged",
        "ExposureUsdGuardEngaged",
        "PriceImpactGuardEngaged",
        "PositionGuardEngaged",
        "DailyVolumeUsdGuardEngaged",
        "PendingOrdersGuardEngaged",
        "RaceDrawdownGuardEngaged",
        "NodeAHeadGuardEngaged",
        "NodeBHeadGuardEngaged",
    ] {
        assert!(names.contains(&guard), "{guard} in {names:?}");
    }
    let yaml = botwatch::rules::yaml();
    assert!(
        yaml.contains(
            r#"expr: 'max by (job, guard) (last_over_time(botwatch_guard_engaged{guard="Drawdown"}[45s])) > 0'"#
        ),
        "{yaml}"
    );
    let drawdown = yaml
        .split("- alert: ")
        .find(|rule| rule.starts_with("DrawdownGuardEngaged"))
        .expect("the drawdown guard's alert");
    assert!(drawdown.contains("severity: \"critical\""), "{drawdown}");
    assert!(
        !drawdown.contains("for:") || drawdown.contains("for: 0s"),
        "{drawdown}"
    );
    let Some(promtool) = tool("promtool") else {
        return;
    };
    let dir = scratch_dir("guards-promtool");
    let rules = dir.join("alerts.yml");
    std::fs::write(&rules, &yaml).unwrap();
    let tests = write_unit_tests(&dir, &set, "alerts.yml");
    let checked = run_ok(
        &promtool,
        &[OsStr::new("check"), OsStr::new("rules"), rules.as_os_str()],
    );
    assert!(checked.contains("SUCCESS"), "{checked}");
    let tested = promtool_test_rules(&promtool, &tests);
    assert!(tested.contains("SUCCESS"), "{tested}");
}
