//! A directory module.

pub(crate) mod binance;
