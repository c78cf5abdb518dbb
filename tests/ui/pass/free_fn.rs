#[botwatch::counted]
#[botwatch::timed]
fn add(a: u64, b: u64) -> u64 {
    a + b
}

/// Docs and other attributes stay as written.
#[inline]
#[must_use]
#[botwatch::counted(name = "adds_total", help = "Additions.", labels(kind = "plain"))]
pub fn documented(a: u64) -> u64 {
    a * 2
}

fn main() {
    assert_eq!(add(1, 2), 3);
    assert_eq!(documented(2), 4);
}
