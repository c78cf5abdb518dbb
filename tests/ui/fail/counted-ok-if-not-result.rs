fn is_teapot(status: &u16) -> bool {
    *status == 418
}

#[botwatch::counted(ok_if = is_teapot)]
fn relay_status() -> u16 {
    200
}

fn main() {
    relay_status();
}
