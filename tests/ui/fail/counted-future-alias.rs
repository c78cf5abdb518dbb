use std::future::Future;
use std::pin::Pin;

type Fut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

#[botwatch::counted]
fn submit<'a>(bundle: &'a str) -> Fut<'a, usize> {
    Box::pin(async move { bundle.len() })
}

fn main() {
    drop(submit("bundle"));
}
