#[derive(Debug)]
struct ParseError;

impl From<std::num::ParseIntError> for ParseError {
    fn from(_: std::num::ParseIntError) -> Self {
        ParseError
    }
}

#[botwatch::counted]
fn parse(text: &str) -> Result<u64, ParseError> {
    if text.is_empty() {
        return Ok(0);
    }
    let value: u64 = text.parse()?;
    Ok(value)
}

#[botwatch::timed]
#[botwatch::counted]
fn boxed(text: &str) -> Result<u64, Box<dyn std::error::Error>> {
    let value: u64 = text.trim().parse()?;
    if value > 10 {
        Err("too large")?;
    }
    Ok(value)
}

#[botwatch::counted]
fn first_even(values: &[u64]) -> Option<u64> {
    for v in values {
        if v % 2 == 0 {
            return Some(*v);
        }
    }
    None
}

fn main() {
    assert_eq!(parse("").unwrap(), 0);
    assert_eq!(parse("12").unwrap(), 12);
    assert!(parse("x").is_err());
    assert_eq!(boxed(" 3 ").unwrap(), 3);
    assert!(boxed("30").is_err());
    assert_eq!(first_even(&[1, 4, 6]), Some(4));
}
