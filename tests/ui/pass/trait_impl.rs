trait Venue {
    fn quote(&self, size: u64) -> Result<u64, String>;
}

struct Binance;

impl Venue for Binance {
    #[botwatch::counted]
    #[botwatch::timed]
    fn quote(&self, size: u64) -> Result<u64, String> {
        if size == 0 {
            return Err("empty".into());
        }
        Ok(size * 100)
    }
}

fn main() {
    assert_eq!(Binance.quote(2), Ok(200));
    assert!(Binance.quote(0).is_err());
}
