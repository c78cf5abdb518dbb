#[botwatch::counted]
#[track_caller]
fn where_am_i() -> u32 {
    std::panic::Location::caller().line()
}

fn main() {
    let _ = where_am_i();
}
