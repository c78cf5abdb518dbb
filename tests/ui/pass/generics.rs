use std::fmt::Display;

#[botwatch::counted]
fn describe<T: Display + ?Sized>(value: &T) -> String {
    format!("<{value}>")
}

#[botwatch::timed]
fn largest<T>(items: &[T]) -> Option<&T>
where
    T: Ord,
{
    items.iter().max()
}

struct Wrapper<T>(T);

impl<T: Clone> Wrapper<T> {
    #[botwatch::counted]
    fn get(&self) -> T {
        self.0.clone()
    }
}

#[botwatch::counted]
fn shows(value: impl Display) -> impl Display {
    value
}

fn main() {
    assert_eq!(describe("x"), "<x>");
    assert_eq!(largest(&[1, 3, 2]), Some(&3));
    assert_eq!(Wrapper(7).get(), 7);
    assert_eq!(shows(5).to_string(), "5");
}
