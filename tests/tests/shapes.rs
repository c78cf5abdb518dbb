//! Function shapes that used to record the wrong thing (issue 13), counted through
//! `botwatch::render()`: `-> !`, a panic before an `-> impl Future`'s async block, and
//! futures returned as `BoxFuture<'a, T>`, in the stacking orders that apply.

use std::future::Future;
use std::pin::Pin;

use botwatch_tests::{rendered as series, rendered_calls as calls};

fn timed_count(function: &str) -> f64 {
    series(
        "function_calls_duration_seconds_count",
        &[("function", function)],
    )
}

#[botwatch::counted]
#[botwatch::timed]
fn shut_down(reason: &str) -> ! {
    panic!("shutting down: {reason}")
}

#[botwatch::timed]
#[botwatch::counted]
fn shut_down_reversed(reason: &str) -> ! {
    panic!("shutting down: {reason}")
}

#[test]
fn a_diverging_function_counts_its_panic_and_times_nothing() {
    for (function, call) in [
        ("shut_down", shut_down as fn(&str) -> !),
        ("shut_down_reversed", shut_down_reversed),
    ] {
        assert!(std::panic::catch_unwind(|| call("maintenance")).is_err());
        assert_eq!(calls(function, "error"), 1.0, "{function}");
        assert_eq!(calls(function, "ok"), 0.0, "{function}");
        assert_eq!(timed_count(function), 0.0, "{function}");
    }
}

#[botwatch::timed]
#[botwatch::counted]
fn sign_then_send(panic: bool) -> impl Future<Output = Result<u32, String>> {
    assert!(!panic, "signing failed");
    async { Ok(1) }
}

#[test]
fn a_panic_before_the_async_block_is_an_error() {
    assert!(std::panic::catch_unwind(|| drop(sign_then_send(true))).is_err());
    assert_eq!(calls("sign_then_send", "error"), 1.0);
    assert_eq!(timed_count("sign_then_send"), 0.0);
}

/// The `futures::future::BoxFuture` pattern, by its usual name.
type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

#[botwatch::counted]
#[botwatch::timed]
fn fetch_block<'a>(node: &'a str) -> BoxFuture<'a, Result<usize, String>> {
    Box::pin(async move {
        tokio::task::yield_now().await;
        if node.is_empty() {
            Err("no node".to_owned())
        } else {
            Ok(node.len())
        }
    })
}

#[tokio::test]
async fn a_box_future_is_recorded_when_it_completes() {
    let pending = [fetch_block("a"), fetch_block(""), fetch_block("abc")];
    assert_eq!(calls("fetch_block", "ok"), 0.0, "nothing at creation");
    assert_eq!(timed_count("fetch_block"), 0.0);
    let mut results = Vec::new();
    for future in pending {
        results.push(future.await);
    }
    assert_eq!(results, [Ok(1), Err("no node".to_owned()), Ok(3)]);
    assert_eq!(calls("fetch_block", "ok"), 2.0);
    assert_eq!(calls("fetch_block", "error"), 1.0);
    assert_eq!(timed_count("fetch_block"), 3.0);
}

mod dec {
    /// A trait of the user's own that happens to be called `Future`.
    pub(crate) trait Future {
        fn decimals(&self) -> u8;
    }

    impl Future for u8 {
        fn decimals(&self) -> u8 {
            *self
        }
    }
}

#[botwatch::counted]
fn contract_spec(decimals: u8) -> impl dec::Future {
    decimals
}

#[test]
fn a_users_own_future_trait_is_a_plain_value() {
    use dec::Future as _;
    assert_eq!(contract_spec(18).decimals(), 18);
    assert_eq!(calls("contract_spec", "ok"), 1.0);
}

#[botwatch::counted]
#[botwatch::timed]
#[tokio::main(flavor = "current_thread")]
async fn outside_tokio_main() -> Result<u32, String> {
    tokio::task::yield_now().await;
    Ok(1)
}

#[tokio::main(flavor = "current_thread")]
#[botwatch::timed]
#[botwatch::counted]
async fn inside_tokio_main() -> Result<u32, String> {
    tokio::task::yield_now().await;
    Err("no route".to_owned())
}

#[test]
fn tokio_main_in_either_order() {
    assert_eq!(outside_tokio_main(), Ok(1));
    assert_eq!(inside_tokio_main(), Err("no route".to_owned()));
    assert_eq!(calls("outside_tokio_main", "ok"), 1.0);
    assert_eq!(calls("inside_tokio_main", "error"), 1.0);
    assert_eq!(timed_count("outside_tokio_main"), 1.0);
    assert_eq!(timed_count("inside_tokio_main"), 1.0);
}
