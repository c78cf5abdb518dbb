//! Exchange clients of a bot whose binary lives in another crate (`fixture-multi-bot`):
//! annotated functions, one behind the `live` feature the binary turns on, others behind
//! the `paper` feature nothing turns on, and a breaker the binary shares by name.

pub mod exchange;

#[cfg(feature = "paper")]
pub mod paper;

/// Calls every function compiled in, so each exports its series.
pub fn exercise() {
    let _ = exchange::place_order(3);
    let _ = exchange::cancel_order(3);
    #[cfg(feature = "live")]
    exchange::live_quote();
}
