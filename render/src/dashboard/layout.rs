//! What the dashboard charts and where each panel goes: the [`Bot`] every section reads,
//! and the [`Layout`] that places its panels on the grid with their stable ids.

use botwatch_spec::declared::Declared;
use botwatch_spec::model::Site;

use super::ids::{Grid, Ids};
use super::json::Writer;
use super::panels::{self, Panel};

/// What the dashboard charts: the functions' sites and the declared metrics, both sorted.
#[derive(Debug)]
pub(super) struct Bot<'a> {
    pub(super) sites: &'a [&'a Site],
    pub(super) declared: &'a [Declared],
}

/// Places panels on the grid, gives each its stable id, and writes it into the `panels`
/// array.
#[derive(Debug)]
pub(super) struct Layout<'w> {
    pub(super) ids: Ids,
    pub(super) grid: Grid,
    pub(super) shared: panels::Shared,
    pub(super) panels: &'w mut Writer,
    /// Each panel's key and id, when the caller asks (the alerts' links).
    pub(super) placed: Option<std::collections::BTreeMap<String, u32>>,
}

impl Layout<'_> {
    pub(super) fn row(&mut self, key: &str, title: &str) {
        let id = self.ids.id(&format!("row/{key}"));
        let place = self.grid.row();
        panels::row(self.panels, id, title, place);
    }

    pub(super) fn add(&mut self, panel: &Panel) {
        let id = self.ids.id(&panel.key);
        if let Some(placed) = &mut self.placed {
            placed.insert(panel.key.clone(), id);
        }
        let place = self.grid.place(panel.size.0, panel.size.1);
        panels::render(self.panels, &mut self.shared, panel, id, place);
    }
}

/// One part of the dashboard, added in order.
pub(super) type Section = fn(&Bot<'_>, &mut Layout<'_>);
