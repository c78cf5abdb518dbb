// A window of zero holds no scrape at any interval. (Whether `idle > 30s` holds 4 scrapes
// depends on the scrape interval: the build helper checks that, not the macro.)
#[botwatch::counted(alert(idle > 0s))]
fn on_tick() {}

fn main() {
    on_tick();
}
