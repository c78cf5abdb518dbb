#[botwatch::counted]
const fn size() -> u64 {
    1
}

fn main() {
    let _ = size();
}
