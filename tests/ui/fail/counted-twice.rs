#[botwatch::counted]
#[botwatch::counted(name = "twice_total")]
fn counted_twice() -> u32 {
    1
}

fn main() {
    let _ = counted_twice();
}
