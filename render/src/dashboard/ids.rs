//! Stable identities: a panel's id is a hash of what it charts (`module::function` and the
//! panel's kind), never of its position, so adding a function leaves every other panel's id
//! alone and a re-generated dashboard diffs only where the code changed. The layout packs
//! panels on Grafana's 24-column grid in the order they are added.

/// FNV-1a, 32 bits: small, fixed forever (ids must not change between botwatch versions
/// either), and good enough that two keys of one dashboard rarely collide.
fn fnv1a(key: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in key.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// Hands out panel ids: the hash of each key, kept within JavaScript's safe integers and
/// above zero. A collision (vanishingly rare) is resolved by re-hashing the key with a
/// counter, so only the colliding panel's id depends on the other one.
#[derive(Debug, Default)]
pub(crate) struct Ids {
    taken: std::collections::BTreeSet<u32>,
}

impl Ids {
    /// The id of the panel charting `key`.
    pub(crate) fn id(&mut self, key: &str) -> u32 {
        let mut attempt = 0u32;
        loop {
            let hash = if attempt == 0 {
                fnv1a(key)
            } else {
                fnv1a(&format!("{key}#{attempt}"))
            };
            let id = (hash & 0x7fff_ffff).max(1);
            if self.taken.insert(id) {
                return id;
            }
            attempt += 1;
        }
    }
}

/// A dashboard's `uid` (at most 40 characters): `botwatch-` and the hash of the crates its
/// functions live in, so one bot keeps its uid across builds and two bots differ.
pub(crate) fn uid(crates: &[String]) -> String {
    format!("botwatch-{:08x}", fnv1a(&crates.join(",")))
}

/// Grafana's grid: 24 columns, panels placed left to right, wrapping to a new line.
#[derive(Debug, Default)]
pub(crate) struct Grid {
    x: u32,
    y: u32,
    line_height: u32,
}

/// A panel's `gridPos`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Place {
    pub(crate) x: u32,
    pub(crate) y: u32,
    pub(crate) w: u32,
    pub(crate) h: u32,
}

impl Grid {
    /// Columns of the grid.
    pub(crate) const WIDTH: u32 = 24;

    /// The next place of a `w` × `h` panel.
    pub(crate) fn place(&mut self, w: u32, h: u32) -> Place {
        if self.x + w > Self::WIDTH {
            self.new_line();
        }
        let place = Place {
            x: self.x,
            y: self.y,
            w,
            h,
        };
        self.x += w;
        self.line_height = self.line_height.max(h);
        place
    }

    /// A full-width row header on a line of its own.
    pub(crate) fn row(&mut self) -> Place {
        self.new_line();
        let place = self.place(Self::WIDTH, 1);
        self.new_line();
        place
    }

    /// Starts a new line below everything placed so far.
    pub(crate) fn new_line(&mut self) {
        if self.x > 0 {
            self.y += self.line_height;
        }
        self.x = 0;
        self.line_height = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_depend_on_the_key_alone() {
        let mut a = Ids::default();
        let mut b = Ids::default();
        b.id("bot::other::f/calls");
        assert_eq!(
            a.id("bot::relay::submit/calls"),
            b.id("bot::relay::submit/calls")
        );
        assert_ne!(
            a.id("bot::relay::submit/errors"),
            a.id("bot::relay::submit/calls")
        );
    }

    #[test]
    fn a_collision_gets_another_id() {
        let mut ids = Ids::default();
        let first = ids.id("k");
        assert_ne!(ids.id("k"), first);
    }

    #[test]
    fn the_grid_wraps_and_rows_take_a_line() {
        let mut grid = Grid::default();
        let row = grid.row();
        assert_eq!((row.y, row.w, row.h), (0, 24, 1));
        let a = grid.place(16, 8);
        let b = grid.place(16, 8);
        assert_eq!((a.x, a.y), (0, 1));
        assert_eq!((b.x, b.y), (0, 9));
        assert_eq!(grid.row().y, 17);
    }
}
