//! Paper trading: compiled only with the `paper` feature.

/// A simulated fill.
#[botwatch::counted(alert(idle > 5m))]
pub fn paper_fill() {}
