#[derive(Debug)]
struct FeedError;

#[botwatch::circuit_breaker]
async fn fetch() -> Result<u64, FeedError> {
    Ok(1)
}

fn main() {
    let _ = fetch();
}
