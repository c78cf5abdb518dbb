#![deny(deprecated)]

#[botwatch::counted]
fn call_with<R>(f: impl FnOnce() -> R) -> R {
    f()
}

fn main() {
    let _ = call_with(|| Ok::<u8, ()>(1));
}
