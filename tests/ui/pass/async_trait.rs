#[async_trait::async_trait]
trait Relay {
    async fn submit(&self, bundle: u64) -> Result<u64, String>;
}

struct Flashbots;

#[async_trait::async_trait]
impl Relay for Flashbots {
    #[botwatch::counted]
    #[botwatch::timed]
    async fn submit(&self, bundle: u64) -> Result<u64, String> {
        if bundle == 0 {
            return Err("empty bundle".to_owned());
        }
        Ok(bundle)
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let relay: Box<dyn Relay + Send + Sync> = Box::new(Flashbots);
    assert_eq!(runtime.block_on(relay.submit(4)), Ok(4));
    assert!(runtime.block_on(relay.submit(0)).is_err());
}
