//! Grafana panels as JSON: a row header, a time series (with an alert's threshold drawn as a
//! line), a stat, and a state timeline with the breaker's states mapped to names and
//! colours. Every panel reads the `${datasource}` variable.

use super::ids::Place;
use super::json::Json;
use super::queries::Query;

/// The data source every panel and variable reads: the dashboard's `datasource` variable.
pub(crate) fn datasource() -> Json {
    Json::object([
        ("type", Json::from("prometheus")),
        ("uid", Json::from("${datasource}")),
    ])
}

/// What a panel shows, before it is placed.
#[derive(Clone, Debug)]
pub(crate) struct Panel {
    /// The stable key its id is derived from.
    pub(crate) key: String,
    /// Its title.
    pub(crate) title: String,
    /// What it shows and why, in the panel's (i) tooltip.
    pub(crate) description: String,
    /// Its queries, `A`, `B`, ... in order.
    pub(crate) queries: Vec<Query>,
    /// How it draws them.
    pub(crate) kind: Kind,
    /// The unit of its values (`s`, `percentunit`, `reqps`, `short`).
    pub(crate) unit: &'static str,
    /// Threshold lines: `(value, colour)` above a green base.
    pub(crate) thresholds: Vec<(f64, &'static str)>,
    /// Width and height on the grid.
    pub(crate) size: (u32, u32),
}

/// A panel type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `timeseries`
    TimeSeries,
    /// `stat`, coloured by its thresholds.
    Stat,
    /// `stat` of the bot's `up`: 0 reads DOWN in red, 1 UP in green.
    Up,
    /// `state-timeline` of a breaker's state.
    BreakerState,
}

impl Kind {
    fn plugin(self) -> &'static str {
        match self {
            Kind::TimeSeries => "timeseries",
            Kind::Stat | Kind::Up => "stat",
            Kind::BreakerState => "state-timeline",
        }
    }
}

/// A row header, expanded, holding the panels placed after it.
pub(crate) fn row(id: u32, title: &str, place: Place) -> Json {
    Json::object([
        ("collapsed", Json::from(false)),
        ("gridPos", grid_pos(place)),
        ("id", Json::from(id)),
        ("panels", Json::Array(Vec::new())),
        ("title", Json::from(title.to_owned())),
        ("type", Json::from("row")),
    ])
}

/// The panel as Grafana's JSON, with its id and place.
pub(crate) fn render(panel: &Panel, id: u32, place: Place) -> Json {
    let targets: Vec<Json> = panel
        .queries
        .iter()
        .enumerate()
        .map(|(i, q)| target(q, i, panel.kind))
        .collect();
    Json::object([
        ("datasource", datasource()),
        ("description", Json::from(panel.description.clone())),
        ("fieldConfig", field_config(panel)),
        ("gridPos", grid_pos(place)),
        ("id", Json::from(id)),
        ("options", options(panel.kind)),
        ("targets", Json::Array(targets)),
        ("title", Json::from(panel.title.clone())),
        ("type", Json::from(panel.kind.plugin())),
    ])
}

fn grid_pos(place: Place) -> Json {
    Json::object([
        ("h", Json::from(place.h)),
        ("w", Json::from(place.w)),
        ("x", Json::from(place.x)),
        ("y", Json::from(place.y)),
    ])
}

/// `A`, `B`, ..., `Z`, `AA`, ...
fn ref_id(index: usize) -> String {
    let letter = |i: usize| char::from(b'A' + (i % 26) as u8);
    if index < 26 {
        letter(index).to_string()
    } else {
        format!("{}{}", letter(index / 26 - 1), letter(index))
    }
}

fn target(query: &Query, index: usize, kind: Kind) -> Json {
    let instant = matches!(kind, Kind::Stat | Kind::Up);
    // No data source of its own: the panel's (`${datasource}`) applies.
    Json::object([
        ("editorMode", Json::from("code")),
        ("expr", Json::from(query.expr.clone())),
        ("instant", Json::from(instant)),
        ("legendFormat", Json::from(query.legend.clone())),
        ("range", Json::from(!instant)),
        ("refId", Json::from(ref_id(index))),
    ])
}

fn step(color: &'static str, value: Option<f64>) -> Json {
    Json::object([
        ("color", Json::from(color)),
        ("value", value.map_or(Json::Null, Json::from)),
    ])
}

fn field_config(panel: &Panel) -> Json {
    let mut steps = vec![step("green", None)];
    steps.extend(panel.thresholds.iter().map(|(v, c)| step(c, Some(*v))));
    let mut defaults = Json::object([
        ("color", color(panel.kind)),
        ("mappings", mappings(panel.kind)),
        (
            "thresholds",
            Json::object([
                ("mode", Json::from("absolute")),
                ("steps", Json::Array(steps)),
            ]),
        ),
        ("unit", Json::from(panel.unit)),
    ]);
    match panel.kind {
        Kind::TimeSeries => {
            defaults.push("custom", time_series_custom(!panel.thresholds.is_empty()))
        }
        Kind::BreakerState => {
            defaults.push(
                "custom",
                Json::object([
                    ("fillOpacity", Json::from(80.0)),
                    ("lineWidth", Json::from(0.0)),
                ]),
            );
            defaults.push("max", Json::from(2.0));
            defaults.push("min", Json::from(0.0));
        }
        Kind::Stat | Kind::Up => {}
    }
    Json::object([
        ("defaults", defaults),
        ("overrides", Json::Array(Vec::new())),
    ])
}

fn color(kind: Kind) -> Json {
    let mode = match kind {
        Kind::TimeSeries => "palette-classic",
        Kind::Stat | Kind::Up | Kind::BreakerState => "thresholds",
    };
    Json::object([("mode", Json::from(mode))])
}

/// Draws the thresholds as dashed lines when the panel has any: the alert's threshold.
fn time_series_custom(lines: bool) -> Json {
    Json::object([
        ("drawStyle", Json::from("line")),
        ("fillOpacity", Json::from(10.0)),
        ("lineWidth", Json::from(1.0)),
        ("showPoints", Json::from("never")),
        ("spanNulls", Json::from(false)),
        (
            "thresholdsStyle",
            Json::object([("mode", Json::from(if lines { "dashed" } else { "off" }))]),
        ),
    ])
}

/// The text and colour of each value: a breaker's three states, the bot's up and down.
fn mappings(kind: Kind) -> Json {
    let states: &[(&'static str, &'static str, &'static str)] = match kind {
        Kind::BreakerState => &[
            ("0", "closed", "green"),
            ("1", "open", "red"),
            ("2", "half-open", "yellow"),
        ],
        Kind::Up => &[("0", "DOWN", "red"), ("1", "UP", "green")],
        Kind::TimeSeries | Kind::Stat => return Json::Array(Vec::new()),
    };
    let options = states
        .iter()
        .enumerate()
        .map(|(index, (value, text, color))| {
            (
                *value,
                Json::object([
                    ("color", Json::from(*color)),
                    ("index", Json::from(index as f64)),
                    ("text", Json::from(*text)),
                ]),
            )
        });
    Json::Array(vec![Json::object([
        ("options", Json::object(options)),
        ("type", Json::from("value")),
    ])])
}

fn legend() -> Json {
    Json::object([
        ("calcs", Json::Array(Vec::new())),
        ("displayMode", Json::from("list")),
        ("placement", Json::from("bottom")),
        ("showLegend", Json::from(true)),
    ])
}

fn tooltip() -> Json {
    Json::object([("mode", Json::from("multi")), ("sort", Json::from("none"))])
}

fn options(kind: Kind) -> Json {
    match kind {
        Kind::TimeSeries => Json::object([("legend", legend()), ("tooltip", tooltip())]),
        Kind::Stat | Kind::Up => Json::object([
            ("colorMode", Json::from("background")),
            ("graphMode", Json::from("none")),
            ("justifyMode", Json::from("auto")),
            ("orientation", Json::from("auto")),
            (
                "reduceOptions",
                Json::object([
                    ("calcs", Json::Array(vec![Json::from("lastNotNull")])),
                    ("fields", Json::from("")),
                    ("values", Json::from(false)),
                ]),
            ),
            ("textMode", Json::from("auto")),
        ]),
        Kind::BreakerState => Json::object([
            ("alignValue", Json::from("left")),
            ("legend", legend()),
            ("mergeValues", Json::from(true)),
            ("rowHeight", Json::from(0.9)),
            ("showValue", Json::from("auto")),
            ("tooltip", tooltip()),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ref_ids_count_like_grafana() {
        assert_eq!(ref_id(0), "A");
        assert_eq!(ref_id(25), "Z");
        assert_eq!(ref_id(26), "AA");
    }
}
