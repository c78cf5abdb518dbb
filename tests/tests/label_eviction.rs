//! `label_idle`: label sets idle that long leave `/metrics` at a scrape and their places go
//! to new sets, through the attribute and the real renderer. One test, in a binary of its
//! own: every scrape sweeps every function, so a test beside it would evict (and serve) the
//! sets this one watches.

use std::time::Duration;

use botwatch_tests::Exposition;

#[botwatch::counted(labels(token = token), max_series = 100, label_idle = 1ms)]
#[botwatch::timed(labels(token = token), max_series = 100, label_idle = 1ms)]
fn quote_token(token: &str) -> usize {
    token.len()
}

fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Waits past `label_idle` (1ms) and scrapes.
fn scrape_after_idle() -> String {
    std::thread::sleep(Duration::from_millis(2));
    botwatch::render()
}

fn calls_of(m: &Exposition, token: &str) -> Option<f64> {
    m.value(
        "function_calls_total",
        &[
            ("function", "quote_token"),
            ("token", token),
            ("result", "ok"),
        ],
    )
}

/// A universe that rotates: 30,000 tokens, a hundred at a time, through `max_series =
/// 100` with scrapes between. Idle sets leave, so nothing goes to `__overflow__`; an
/// evicted set is served once more with everything it recorded, then no more; the last
/// hundred tokens each have their own series; every call stays in the totals; resident
/// memory stays flat.
#[test]
#[ignore = "slow: six hundred scrapes a couple of milliseconds apart"]
fn idle_label_sets_are_evicted_so_new_values_get_series() {
    for _ in 0..3 {
        quote_token("ONCE");
    }
    // The first scrape dates the calls, the second (a label_idle later) evicts the set and
    // serves it one last time, the third no longer shows it.
    let served: Vec<_> = (0..3)
        .map(|_| calls_of(&Exposition::parse(&scrape_after_idle()), "ONCE"))
        .collect();
    assert_eq!(served, [Some(3.0), Some(3.0), None]);

    let rounds = 300;
    let mut before = None;
    for round in 0..rounds {
        if round == 100 {
            before = resident_kib();
        }
        for i in 0..100 {
            quote_token(&format!("TOKEN-{round}-{i}"));
        }
        scrape_after_idle(); // dates the calls
        scrape_after_idle(); // evicts them
    }
    let after = resident_kib();
    let m = Exposition::parse(&botwatch::render());
    // Counted and timed each evicted ONCE and every token.
    assert_eq!(
        m.value(
            "botwatch_label_evictions_total",
            &[("function", "quote_token")]
        ),
        Some(2.0 * 30_001.0)
    );
    for i in 0..100 {
        quote_token(&format!("LAST-{i}"));
    }
    let m = Exposition::parse(&botwatch::render());
    for i in 0..100 {
        let token = format!("LAST-{i}");
        assert_eq!(
            calls_of(&m, &token),
            Some(1.0),
            "{token} has a series of its own"
        );
    }
    assert_eq!(
        m.value(
            "botwatch_label_overflow_total",
            &[("function", "quote_token")]
        ),
        Some(0.0),
        "nothing overflowed"
    );
    let calls = botwatch::snapshot().calls("quote_token").unwrap();
    assert_eq!(calls.ok, 30_103, "evicted sets stay in the totals");
    let durations = botwatch::snapshot().durations("quote_token").unwrap();
    assert_eq!(durations.count, 30_103);
    if let (Some(before), Some(after)) = (before, after) {
        assert!(
            after.saturating_sub(before) < 4 * 1024,
            "resident memory grew from {before} KiB to {after} KiB"
        );
    }
}
