use std::future::Future;

#[botwatch::counted]
#[botwatch::timed]
async fn fetch(id: u64) -> Result<u64, std::io::Error> {
    if id == 0 {
        return Err(std::io::Error::other("zero"));
    }
    let doubled = double(id).await?;
    Ok(doubled)
}

#[botwatch::timed]
async fn double(id: u64) -> std::io::Result<u64> {
    Ok(id * 2)
}

struct Client;

impl Client {
    #[botwatch::counted]
    async fn get(&self, key: &str) -> Option<usize> {
        Some(key.len())
    }
}

#[botwatch::timed]
fn later(id: u64) -> impl Future<Output = Result<u64, String>> + Send {
    async move {
        if id == 0 {
            return Err("zero".to_owned());
        }
        Ok(id)
    }
}

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
}

fn main() {
    assert_eq!(block_on(fetch(2)).unwrap(), 4);
    assert!(block_on(fetch(0)).is_err());
    assert_eq!(block_on(Client.get("abc")), Some(3));
    assert_eq!(block_on(later(3)), Ok(3));
}
