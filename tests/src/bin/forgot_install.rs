//! A bot that calls its annotated functions: `forgot_install` never installs the exporter,
//! `forgot_install install` does, `forgot_install snapshot` reads the counts in process.
//! Each runs for 1.5 s, then exits.

#[botwatch::counted]
fn tick() {}

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("install") => {
            botwatch::Exporter::new()
                .listen("127.0.0.1:0".parse().unwrap())
                .install()
                .unwrap();
        }
        Some("snapshot") => {
            let _ = botwatch::snapshot();
        }
        _ => {}
    }
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_millis(1500) {
        tick();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}
