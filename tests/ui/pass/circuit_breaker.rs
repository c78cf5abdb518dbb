use std::future::Future;

#[derive(Debug)]
enum RelayError {
    Rejected(String),
    NonceTooLow,
    Open(botwatch::CircuitOpen),
}

impl From<botwatch::CircuitOpen> for RelayError {
    fn from(open: botwatch::CircuitOpen) -> Self {
        RelayError::Open(open)
    }
}

fn is_nonce_error(error: &RelayError) -> bool {
    matches!(error, RelayError::NonceTooLow)
}

mod policy {
    pub fn counts(error: &super::RelayError) -> bool {
        !matches!(error, super::RelayError::Rejected(reason) if reason == "duplicate")
    }
}

#[botwatch::circuit_breaker(name = "relay", failures = 3, reset = 250ms, ignore_if = is_nonce_error, failure_if = policy::counts)]
fn submit(bundle: u64) -> Result<u64, RelayError> {
    match bundle {
        0 => Err(RelayError::NonceTooLow),
        1 => Err(RelayError::Rejected("duplicate".into())),
        _ => Ok(bundle),
    }
}

#[botwatch::counted]
#[botwatch::circuit_breaker(failure_rate = 50%, window = 10, min_calls = 4, slow = 2s, backoff = 2.0, max_reset = 5m, half_open = 2, successes = 2)]
#[botwatch::timed]
async fn fetch_price(symbol: &str) -> Result<f64, Box<dyn std::error::Error + Send + Sync>> {
    if symbol.is_empty() {
        return Err("no symbol".into());
    }
    Ok(101.5)
}

#[botwatch::circuit_breaker(name = "rpc", alert(open, for = 30s), alert(flapping > 3, within = 10m))]
fn block_number() -> impl Future<Output = Result<u64, RelayError>> + Send {
    async move { Ok(19_000_000) }
}

struct Node<T> {
    value: T,
}

impl<T: Clone + Send + Sync> Node<T> {
    #[botwatch::circuit_breaker(name = "rpc")]
    fn get(&self) -> Result<T, RelayError> {
        Ok(self.value.clone())
    }

    #[botwatch::circuit_breaker(name = "rpc")]
    async fn get_async(&mut self) -> Result<&mut T, RelayError> {
        Ok(&mut self.value)
    }
}

#[async_trait::async_trait]
trait Exchange {
    async fn place(&self, size: u64) -> Result<u64, RelayError>;
}

struct Binance;

#[async_trait::async_trait]
impl Exchange for Binance {
    #[botwatch::circuit_breaker(name = "binance")]
    #[botwatch::counted]
    async fn place(&self, size: u64) -> Result<u64, RelayError> {
        Ok(size)
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    assert_eq!(submit(5).unwrap(), 5);
    assert!(matches!(submit(0), Err(RelayError::NonceTooLow)));
    assert!(matches!(submit(1), Err(RelayError::Rejected(_))));
    assert_eq!(runtime.block_on(fetch_price("ETH")).unwrap(), 101.5);
    assert_eq!(runtime.block_on(block_number()).unwrap(), 19_000_000);
    let mut node = Node { value: 3 };
    assert_eq!(node.get().unwrap(), 3);
    *runtime.block_on(node.get_async()).unwrap() += 1;
    assert_eq!(node.value, 4);
    assert_eq!(runtime.block_on(Binance.place(2)).unwrap(), 2);
    assert_eq!(botwatch::breaker("relay").unwrap().state(), botwatch::State::Closed);
    assert!(
        botwatch::breaker(concat!(module_path!(), "::fetch_price")).is_some(),
        "the function's own breaker, module::function, is the default"
    );
}
