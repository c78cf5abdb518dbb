//! The label table: lookups, the `max_series` bound, eviction and the calls that race it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::table::now_ms;
use super::*;

/// A counter that can be sealed, like a function's call counts.
impl Sealable for AtomicU64 {
    type Last = u64;

    fn seal(&self) -> u64 {
        self.fetch_or(SEALED, Ordering::AcqRel) & !SEALED
    }

    fn clear(&self) {
        self.store(0, Ordering::Relaxed);
    }
}

fn owner() -> String {
    "m::f".to_owned()
}

fn zero() -> AtomicU64 {
    AtomicU64::new(0)
}

/// Adds one the way a call does: `false` when the word was sealed.
fn add(counter: &AtomicU64) -> bool {
    counter.fetch_add(1, Ordering::Relaxed) & SEALED == 0
}

fn text(values: &[&'static str]) -> Vec<LabelValue<'static>> {
    values.iter().map(|v| LabelValue::Str(v)).collect()
}

/// Records one call for `values` as a site does, relocating it when its set was evicted.
fn call(table: &LabelTable<AtomicU64>, values: &[LabelValue<'_>]) {
    match table.lookup(owner, values, zero) {
        Found::Set(set) => {
            if let Err(moved) = set.record(add) {
                // As a site does: evicted again in between, it goes to the overflow series.
                if !add(table.relocate(moved, owner, zero)) {
                    add(table.overflow_of(values.len(), &zero));
                }
            }
        }
        Found::Overflow(counter) => {
            add(counter);
        }
    }
}

fn storage_of(table: &LabelTable<AtomicU64>, values: &[LabelValue<'_>]) -> *const AtomicU64 {
    match table.lookup(owner, values, zero) {
        Found::Set(set) => std::ptr::from_ref(set.storage()),
        Found::Overflow(counter) => std::ptr::from_ref(counter),
    }
}

/// A call's lookup of its set, whose record comes later (a call still running).
fn looked_up<'t>(
    table: &'t LabelTable<AtomicU64>,
    venue: &'static str,
) -> SeriesRef<'t, AtomicU64> {
    match table.lookup(owner, &text(&[venue]), zero) {
        Found::Set(set) => set,
        Found::Overflow(_) => panic!("{venue} has a set of its own"),
    }
}

/// The live sets as `(values joined by ",", count)`, sorted.
fn live(table: &LabelTable<AtomicU64>) -> Vec<(String, u64)> {
    let mut sets: Vec<_> = table
        .entries()
        .map(|(values, c)| (values.join(","), c.load(Ordering::Relaxed) & !SEALED))
        .collect();
    sets.sort();
    sets
}

const HOUR: Duration = Duration::from_secs(3600);
const HOUR_MS: u64 = 3_600_000;

#[test]
fn the_same_set_finds_the_same_storage_and_the_bound_holds() {
    let table: LabelTable<AtomicU64> = LabelTable::new(3, None);
    let get = |venue: &str, side: i128| {
        storage_of(&table, &[LabelValue::Str(venue), LabelValue::Int(side)])
    };
    let a = get("binance", 1);
    assert_eq!(a, get("binance", 1), "a hit");
    assert_ne!(a, get("binance", 2));
    let c = get("kraken", 1);
    assert_ne!(a, c);
    let overflow = get("okx", 1);
    assert_eq!(
        overflow,
        get("bybit", 3),
        "past max_series: one overflow series"
    );
    assert_eq!(table.entries().count(), 4, "3 sets and the overflow");
    assert_eq!(table.overflowed(), 2);
    assert_eq!(a, get("binance", 1), "known sets keep their series");
}

/// Sets that differ only in the order, the split or the length of their values hash
/// apart: with a plain xor of the values' hashes (or no length in them) such pairs would
/// share a probe sequence, and a venue × side table would probe twice as far.
#[test]
fn reordered_and_resplit_sets_hash_apart() {
    let pairs = [
        (text(&["binance", "buy"]), text(&["buy", "binance"])),
        (text(&["ab", "c"]), text(&["a", "bc"])),
        (text(&["a", "a"]), text(&["b", "b"])),
        (text(&["", "x"]), text(&["x", ""])),
        (text(&["a"]), text(&["a", ""])),
        // Read as the same three bytes (first, middle, last): only the length differs.
        (text(&["a", "sell"]), text(&["aaa", "sell"])),
        (
            text(&["0123456789abcdef-x", "s"]),
            text(&["0123456789abcdef-", "xs"]),
        ),
    ];
    for (a, b) in &pairs {
        assert_ne!(hash_of(a), hash_of(b), "{a:?} and {b:?}");
    }
    // The hash reads the text, not where it lives: a borrowed `String` finds the set a
    // literal made.
    assert_eq!(
        hash_of(&text(&["binance", "buy"])),
        hash_of(&[
            LabelValue::Str("binance"),
            LabelValue::Str(&String::from("buy"))
        ])
    );
}

/// Every length up to past the in-line cases, a difference at every position.
#[test]
fn short_values_compare_like_slices() {
    for n in 0..=20 {
        let a: Vec<u8> = (0..n).map(|i| b'a' + i as u8).collect();
        assert!(same_bytes(&a, &a.clone()), "{n} bytes equal");
        for at in 0..n {
            let mut b = a.clone();
            b[at] ^= 0x20;
            assert!(!same_bytes(&a, &b), "{n} bytes, differing at {at}");
        }
        assert!(!same_bytes(&a, &a[..n.saturating_sub(1)]) || n == 0);
    }
}

/// Each set finds its own entry and no other: by each value's length and bytes, in order,
/// empty values, numbers and `bool`s, and sets too long to keep in line.
#[test]
fn entries_recognise_exactly_their_own_set() {
    let long = "x".repeat(60);
    let sets: Vec<Vec<LabelValue<'_>>> = vec![
        vec![LabelValue::Str("binance"), LabelValue::Str("buy")],
        vec![LabelValue::Str("binance"), LabelValue::Str("sell")],
        vec![LabelValue::Str("binancebuy"), LabelValue::Str("")],
        vec![
            LabelValue::Str("binance"),
            LabelValue::Str("buy"),
            LabelValue::Str(""),
        ],
        vec![LabelValue::Str("binance")],
        vec![LabelValue::Str(""), LabelValue::Str("binancebuy")],
        vec![LabelValue::Str(&long), LabelValue::Str("buy")],
        vec![LabelValue::Str(&long), LabelValue::Str("sell")],
        vec![LabelValue::Int(8), LabelValue::Str("buy")],
        vec![LabelValue::Int(9), LabelValue::Str("buy")],
        vec![LabelValue::Bool(true), LabelValue::Str("buy")],
        vec![LabelValue::Bool(false), LabelValue::Str("buy")],
        // The key of ("a", "b") is 1 a 1 b: its bytes after the first length.
        vec![LabelValue::Str("a"), LabelValue::Str("b")],
        vec![LabelValue::Str("a\u{1}b")],
    ];
    let table: LabelTable<AtomicU64> = LabelTable::new(64, Some(HOUR));
    let first: Vec<_> = sets.iter().map(|set| storage_of(&table, set)).collect();
    for (i, set) in sets.iter().enumerate() {
        assert_eq!(
            storage_of(&table, set),
            first[i],
            "{set:?} finds its entry again"
        );
        for j in 0..i {
            assert_ne!(first[i], first[j], "{set:?} and {:?}", sets[j]);
        }
    }
    assert_eq!(table.entries().count(), sets.len());
}

#[test]
fn long_values_are_cut_at_a_character_boundary() {
    let long = "é".repeat(1_000);
    let text = LabelValue::Str(&long).text();
    assert!(text.len() <= MAX_VALUE_BYTES);
    assert!(long.starts_with(&*text));
}

#[test]
fn racing_inserts_of_one_new_set_make_one_entry() {
    for _ in 0..50 {
        let table: LabelTable<AtomicU64> = LabelTable::new(100, Some(HOUR));
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for venue in ["a", "b", "c", "d"] {
                        call(&table, &[LabelValue::Str(venue)]);
                    }
                });
            }
        });
        assert_eq!(
            live(&table),
            [("a", 4), ("b", 4), ("c", 4), ("d", 4)].map(|(v, n)| (v.to_owned(), n))
        );
    }
}

/// A set leaves at the first sweep a whole `label_idle` after its last call, not before,
/// and is served one last time with what it recorded; a set called meanwhile stays.
#[test]
fn an_idle_set_is_evicted_after_label_idle_and_served_once_more() {
    let table: LabelTable<AtomicU64> = LabelTable::new(10, Some(HOUR));
    let t0 = now_ms();
    for _ in 0..3 {
        call(&table, &text(&["binance"]));
    }
    call(&table, &text(&["kraken"]));
    // The sweep after a lookup dates the set's last call.
    assert!(table.sweep_at(t0 + 10).is_empty());
    // kraken is called again; binance is not.
    call(&table, &text(&["kraken"]));
    assert!(
        table.sweep_at(t0 + HOUR_MS).is_empty(),
        "idle for less than an hour"
    );
    let evicted = table.sweep_at(t0 + HOUR_MS + 10);
    let evicted: Vec<_> = evicted
        .iter()
        .map(|e| (e.values.join(","), e.last))
        .collect();
    assert_eq!(evicted, [("binance".to_owned(), 3)]);
    assert_eq!(live(&table), [("kraken".to_owned(), 2)]);
    assert_eq!(table.evictions(), 1);
    // kraken's own hour runs from the sweep that saw its last call.
    assert!(table.sweep_at(t0 + 2 * HOUR_MS - 1).is_empty());
    assert_eq!(table.sweep_at(t0 + 2 * HOUR_MS).len(), 1);
    assert!(live(&table).is_empty());
}

/// A full table takes a new set once an idle one was evicted: the new set starts at zero
/// (the entry it reuses is cleared), and the old set, called again, starts over too.
#[test]
fn a_full_table_takes_new_sets_after_an_eviction() {
    let table: LabelTable<AtomicU64> = LabelTable::new(2, Some(HOUR));
    let t0 = now_ms();
    call(&table, &text(&["a"]));
    call(&table, &text(&["b"]));
    call(&table, &text(&["c"]));
    assert_eq!(table.overflowed(), 1, "c overflowed: two sets are live");
    table.sweep_at(t0); // dates a and b
    table.sweep_at(t0 + HOUR_MS); // evicts them
    for step in 1..=4 {
        // Each new set is dated by the next sweep and evicted by the one after.
        let fresh = format!("new-{step}");
        call(&table, &[LabelValue::Str(&fresh)]);
        table.sweep_at(t0 + (step + 1) * HOUR_MS);
    }
    call(&table, &text(&["a"]));
    assert_eq!(
        live(&table),
        [
            ("__overflow__".to_owned(), 1),
            ("a".to_owned(), 1),
            ("new-4".to_owned(), 1)
        ],
        "c's call in __overflow__; a starts over; no new set overflowed"
    );
    assert_eq!(table.overflowed(), 1);
    assert!(table.pool.iter().filter(|e| e.get().is_some()).count() <= 4);
}

/// A call that looked its set up before the sweep that evicted it, and records after:
/// not in the set's last values (served by that sweep), and not lost: in the set's live
/// entry, made again.
#[test]
fn a_call_racing_an_eviction_lands_in_the_live_set() {
    let table: LabelTable<AtomicU64> = LabelTable::new(10, Some(HOUR));
    let t0 = now_ms();
    call(&table, &text(&["binance"]));
    let early = looked_up(&table, "binance");
    table.sweep_at(t0); // dates the lookups
    let evicted = table.sweep_at(t0 + HOUR_MS);
    assert_eq!(evicted.iter().map(|e| e.last).collect::<Vec<_>>(), [1]);
    let moved = early.record(add).expect_err("the set was sealed");
    assert!(add(table.relocate(moved, owner, zero)));
    assert_eq!(live(&table), [("binance".to_owned(), 1)]);
}

/// A call that outlived its set's eviction and the quarantine after it (the entry now
/// belongs to another set) is counted in the overflow series, never in the other set.
#[test]
fn a_call_outliving_the_quarantine_goes_to_the_overflow_series() {
    let table: LabelTable<AtomicU64> = LabelTable::new(1, Some(HOUR));
    let t0 = now_ms();
    let early = looked_up(&table, "binance");
    table.sweep_at(t0); // dates the lookup
    assert_eq!(table.sweep_at(t0 + HOUR_MS).len(), 1);
    table.sweep_at(t0 + 2 * HOUR_MS); // out of quarantine
    call(&table, &text(&["kraken"]));
    let moved = early.record(add).expect_err("the entry is kraken's now");
    assert!(add(table.relocate(moved, owner, zero)));
    assert_eq!(
        live(&table),
        [("__overflow__".to_owned(), 1), ("kraken".to_owned(), 1)]
    );
}

/// Taking a set out of the index keeps every other set reachable from its hash: sets
/// that share a probe sequence are found again without making new entries.
#[test]
fn evictions_keep_the_other_sets_reachable() {
    let table: LabelTable<AtomicU64> = LabelTable::new(16, Some(HOUR));
    let t0 = now_ms();
    let names: Vec<String> = (0..16).map(|i| format!("venue-{i}")).collect();
    let before: Vec<_> = names
        .iter()
        .map(|n| storage_of(&table, &[LabelValue::Str(n)]))
        .collect();
    // Keep the odd ones active; the even ones go idle and leave.
    table.sweep_at(t0);
    for n in names.iter().skip(1).step_by(2) {
        storage_of(&table, &[LabelValue::Str(n)]);
    }
    assert_eq!(table.sweep_at(t0 + HOUR_MS + 2).len(), 8);
    for (i, n) in names.iter().enumerate().skip(1).step_by(2) {
        assert_eq!(storage_of(&table, &[LabelValue::Str(n)]), before[i], "{n}");
    }
    assert_eq!(table.entries().count(), 8);
}

/// Churn: 200,000 distinct values through `max_series = 100`, a hundred at a time with
/// two sweeps an hour apart between (one dates the calls, the next evicts them): the pool
/// never grows past two hundred entries, nothing overflows, and the last hundred values
/// each have their own set.
#[test]
fn churn_reuses_entries_and_keeps_the_latest_sets() {
    let table: LabelTable<AtomicU64> = LabelTable::new(100, Some(HOUR));
    let mut now = now_ms();
    for batch in 0..2_000u64 {
        for i in 0..100 {
            let value = format!("token-{}", batch * 100 + i);
            call(&table, &[LabelValue::Str(&value)]);
        }
        if batch < 1_999 {
            table.sweep_at(now);
            table.sweep_at(now + HOUR_MS);
            now += 2 * HOUR_MS;
        }
    }
    assert_eq!(table.overflowed(), 0);
    assert_eq!(table.evictions(), 199_900);
    let mut expected: Vec<_> = (199_900..200_000)
        .map(|i| (format!("token-{i}"), 1))
        .collect();
    expected.sort();
    assert_eq!(live(&table), expected);
    assert!(table.pool.iter().filter(|e| e.get().is_some()).count() <= 200);
}

/// Racing threads call sets while sweeps evict them: every call is counted once, in a
/// live set's count or an evicted set's last values.
#[test]
fn calls_racing_sweeps_are_each_counted_once() {
    let table: LabelTable<AtomicU64> = LabelTable::new(8, Some(Duration::from_millis(1)));
    let counted = AtomicU64::new(0);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let calls = 20_000u64;
    std::thread::scope(|scope| {
        let callers: Vec<_> = (0..2u64)
            .map(|thread| {
                let table = &table;
                scope.spawn(move || {
                    for i in 0..calls {
                        let venue = format!("v{}", (i + thread) % 6);
                        call(table, &[LabelValue::Str(&venue)]);
                    }
                })
            })
            .collect();
        scope.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                for evicted in table.sweep() {
                    counted.fetch_add(evicted.last, Ordering::Relaxed);
                }
                std::thread::yield_now();
            }
        });
        let finished = callers.into_iter().map(|c| c.join()).collect::<Vec<_>>();
        stop.store(true, Ordering::Relaxed);
        assert!(finished.iter().all(Result::is_ok), "a caller panicked");
    });
    let live: u64 = table
        .entries()
        .map(|(_, c)| c.load(Ordering::Relaxed) & !SEALED)
        .sum();
    assert_eq!(live + counted.load(Ordering::Relaxed), 2 * calls);
}

/// An evicted entry waits out a whole `label_idle` before it is freed: a call that looked
/// its set up before the eviction and records during that wait still finds the set by its
/// values (it lands in the set's live entry, not in `__overflow__`).
#[test]
fn an_evicted_entry_waits_out_its_quarantine() {
    let table: LabelTable<AtomicU64> = LabelTable::new(1, Some(HOUR));
    let t0 = now_ms();
    let early = looked_up(&table, "binance");
    table.sweep_at(t0); // dates the lookup
    assert_eq!(table.sweep_at(t0 + HOUR_MS).len(), 1);
    table.sweep_at(t0 + HOUR_MS + 1); // a scrape soon after: still in quarantine
    let moved = early.record(add).expect_err("sealed");
    assert!(add(table.relocate(moved, owner, zero)));
    assert_eq!(live(&table), [("binance".to_owned(), 1)]);
    assert_eq!(table.overflowed(), 0);
}

/// Once freed, an entry no longer takes the updates of a call that looked it up before:
/// the set that reuses it starts at zero.
#[test]
fn a_freed_entry_takes_no_late_update() {
    let table: LabelTable<AtomicU64> = LabelTable::new(1, Some(HOUR));
    let t0 = now_ms();
    let early = looked_up(&table, "binance");
    table.sweep_at(t0); // dates the lookup
    assert_eq!(table.sweep_at(t0 + HOUR_MS).len(), 1);
    table.sweep_at(t0 + 2 * HOUR_MS); // out of quarantine, not yet reused
    let moved = early
        .record(add)
        .expect_err("the entry is no longer binance's");
    assert!(
        add(table.relocate(moved, owner, zero)),
        "counted in __overflow__"
    );
    call(&table, &text(&["kraken"])); // reuses binance's entry
    assert_eq!(
        live(&table),
        [("__overflow__".to_owned(), 1), ("kraken".to_owned(), 1)]
    );
}
