#[botwatch::counted(alert(idle > 30s))]
fn on_tick() {}

fn main() {
    on_tick();
}
