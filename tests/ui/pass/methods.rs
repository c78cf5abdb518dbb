struct Book {
    orders: Vec<u64>,
}

impl Book {
    #[botwatch::counted]
    fn new() -> Self {
        Book { orders: Vec::new() }
    }

    #[botwatch::timed]
    fn best(&self) -> Option<&u64> {
        self.orders.iter().max()
    }

    #[botwatch::counted]
    fn insert(&mut self, order: u64) -> &mut Self {
        self.orders.push(order);
        self
    }

    #[botwatch::timed]
    #[botwatch::counted]
    fn into_orders(self) -> Vec<u64> {
        self.orders
    }

    #[botwatch::counted]
    fn name(&self) -> &str {
        "book"
    }
}

fn main() {
    let mut book = Book::new();
    book.insert(3).insert(5);
    assert_eq!(book.best(), Some(&5));
    assert_eq!(book.name(), "book");
    assert_eq!(book.into_orders(), vec![3, 5]);
}
