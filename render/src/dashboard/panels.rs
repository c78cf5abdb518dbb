//! Grafana panels as JSON: a row header, a time series (with an alert's threshold drawn as a
//! line), a stat, and a state timeline with the breaker's states mapped to names and
//! colours. Every panel reads the `${datasource}` variable.
//!
//! A function writing a panel, a target or a step writes the whole object, an item of its
//! array; one named after a key (`grid_pos`, `options`) writes that object's entries, and
//! its caller the key (`mappings` that array's items).

use std::borrow::Cow;

use super::ids::Place;
use super::json::{Fragment, Writer};
use super::queries::Query;

/// The data source every panel and variable reads: the dashboard's `datasource` variable.
pub(crate) fn datasource(w: &mut Writer) {
    w.field("type", "prometheus");
    w.field("uid", "${datasource}");
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
    /// The unit of its values (`s`, `percentunit`, `reqps`, `short`, `suffix: ETH`).
    pub(crate) unit: Cow<'static, str>,
    /// Threshold lines: `(value, colour)` above the base colour.
    pub(crate) thresholds: Vec<(f64, &'static str)>,
    /// Width and height on the grid.
    pub(crate) size: (u32, u32),
    /// Its base colour, value names and range, where they are not the defaults.
    pub(crate) look: Look,
}

/// What a panel of a declared metric adds to how its values read: the colour below its
/// first threshold, names of values (`states(...)`), and a gauge's range.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Look {
    /// The colour below the first threshold; green when `None`.
    pub(crate) base: Option<&'static str>,
    /// Values shown as a name and colour.
    pub(crate) mappings: Vec<Mapping>,
    /// `min` and `max` of a dial.
    pub(crate) range: Option<(f64, f64)>,
}

/// One value shown as a name in a colour: `3` as `halted` in red.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Mapping {
    /// The value, as Grafana keys it (`3`, `0.5`).
    pub(crate) value: String,
    /// The name shown.
    pub(crate) text: String,
    /// Its colour.
    pub(crate) color: &'static str,
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
    /// `gauge`: a dial between the panel's range, coloured by its thresholds.
    Gauge,
    /// `heatmap` of a histogram's buckets (Prometheus' `le`), not recalculated.
    Heatmap,
    /// `bargauge`: one horizontal bar per series now (a top-N over a label).
    BarGauge,
    /// `table` of series now, one row each with its labels.
    Table,
    /// `piechart`: one slice per series now (a family's shares by label value).
    Pie,
    /// `timeseries` drawn as bars, one per day over the last week (`interval: 1d`).
    DailyBars,
}

/// The step of a [`Kind::DailyBars`] panel: one bar per day.
pub(crate) const DAY: &str = "1d";

/// How far back a [`Kind::DailyBars`] panel reads, whatever the dashboard's range: a week.
pub(crate) const DAILY_BARS_RANGE: &str = "7d";

impl Kind {
    fn plugin(self) -> &'static str {
        match self {
            Kind::TimeSeries => "timeseries",
            Kind::Stat | Kind::Up => "stat",
            Kind::BreakerState => "state-timeline",
            Kind::Gauge => "gauge",
            Kind::Heatmap => "heatmap",
            Kind::BarGauge => "bargauge",
            Kind::Table => "table",
            Kind::Pie => "piechart",
            Kind::DailyBars => "timeseries",
        }
    }
}

/// The parts of a panel that are the same in every panel of its kind, written once per
/// dashboard and copied after.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    datasource: Fragment,
    /// By [`Kind`].
    options: [Fragment; 10],
    /// A time series' `custom`, by whether it draws threshold lines.
    custom: [Fragment; 2],
}

/// A row header, expanded, holding the panels placed after it.
pub(crate) fn row(w: &mut Writer, id: u32, title: &str, place: Place) {
    w.object(|w| {
        w.field("collapsed", false);
        w.key("gridPos").object(|w| grid_pos(w, place));
        w.field("id", id);
        w.key("panels").array(|_| {});
        w.field("title", title);
        w.field("type", "row");
    });
}

/// The panel as Grafana's JSON, with its id and place.
pub(crate) fn render(w: &mut Writer, shared: &mut Shared, panel: &Panel, id: u32, place: Place) {
    w.object(|w| {
        w.key("datasource")
            .fragment(&mut shared.datasource, |w| w.object(datasource));
        w.field("description", panel.description.as_str());
        w.key("fieldConfig")
            .object(|w| field_config(w, &mut shared.custom, panel));
        w.key("gridPos").object(|w| grid_pos(w, place));
        w.field("id", id);
        if panel.kind == Kind::DailyBars {
            w.field("interval", DAY);
        }
        if panel.kind == Kind::Heatmap {
            // Its y axis is in the histogram's own unit: no two alike to share.
            w.key("options").object(|w| heatmap_options(w, &panel.unit));
        } else {
            w.key("options")
                .fragment(&mut shared.options[panel.kind as usize], |w| {
                    w.object(|w| options(w, panel.kind))
                });
        }
        w.key("targets").array(|w| {
            for (i, query) in panel.queries.iter().enumerate() {
                target(w, query, i, panel.kind);
            }
        });
        if panel.kind == Kind::DailyBars {
            w.field("timeFrom", DAILY_BARS_RANGE);
        }
        w.field("title", panel.title.as_str());
        w.field("type", panel.kind.plugin());
    });
}

fn grid_pos(w: &mut Writer, place: Place) {
    w.field("h", place.h);
    w.field("w", place.w);
    w.field("x", place.x);
    w.field("y", place.y);
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

fn target(w: &mut Writer, query: &Query, index: usize, kind: Kind) {
    let instant = matches!(
        kind,
        Kind::Stat | Kind::Up | Kind::Gauge | Kind::BarGauge | Kind::Table | Kind::Pie
    );
    // No data source of its own: the panel's (`${datasource}`) applies.
    w.object(|w| {
        w.field("editorMode", "code");
        w.field("expr", query.expr.as_str());
        match kind {
            Kind::Heatmap => w.field("format", "heatmap"),
            Kind::Table => w.field("format", "table"),
            _ => {}
        }
        w.field("instant", instant);
        w.field("legendFormat", query.legend.as_str());
        w.field("range", !instant);
        w.field("refId", ref_id(index).as_str());
    });
}

fn step(w: &mut Writer, color: &str, value: Option<f64>) {
    w.object(|w| {
        w.field("color", color);
        w.field("value", value);
    });
}

fn field_config(w: &mut Writer, custom: &mut [Fragment; 2], panel: &Panel) {
    w.key("defaults").object(|w| {
        w.key("color")
            .object(|w| w.field("mode", color_mode(panel.kind)));
        w.key("mappings").array(|w| {
            mappings(w, panel.kind);
            named_values(w, &panel.look.mappings);
        });
        if let Some((min, max)) = panel.look.range {
            w.field("max", max);
            w.field("min", min);
        }
        w.key("thresholds").object(|w| {
            w.field("mode", "absolute");
            w.key("steps").array(|w| {
                step(w, panel.look.base.unwrap_or("green"), None);
                for (value, color) in &panel.thresholds {
                    step(w, color, Some(*value));
                }
            });
        });
        w.field("unit", &*panel.unit);
        match panel.kind {
            Kind::TimeSeries => {
                let lines = !panel.thresholds.is_empty();
                w.key("custom")
                    .fragment(&mut custom[usize::from(lines)], |w| {
                        w.object(|w| time_series_custom(w, lines))
                    });
            }
            Kind::BreakerState => {
                w.key("custom").object(|w| {
                    w.field("fillOpacity", 80.0);
                    w.field("lineWidth", 0.0);
                });
                w.field("max", 2.0);
                w.field("min", 0.0);
            }
            Kind::DailyBars => {
                w.key("custom").object(|w| {
                    w.field("drawStyle", "bars");
                    w.field("fillOpacity", 80.0);
                    w.field("lineWidth", 1.0);
                    w.field("showPoints", "never");
                });
            }
            Kind::Stat | Kind::Up | Kind::Gauge | Kind::BarGauge | Kind::Table | Kind::Pie => {}
            Kind::Heatmap => {
                w.key("custom").object(|w| {
                    w.key("scaleDistribution")
                        .object(|w| w.field("type", "linear"));
                });
            }
        }
    });
    w.key("overrides").array(|_| {});
}

fn color_mode(kind: Kind) -> &'static str {
    match kind {
        Kind::TimeSeries | Kind::Heatmap | Kind::Table | Kind::Pie | Kind::DailyBars => {
            "palette-classic"
        }
        Kind::BarGauge => "continuous-GrYlRd",
        Kind::Stat | Kind::Up | Kind::BreakerState | Kind::Gauge => "thresholds",
    }
}

/// Draws the thresholds as dashed lines when the panel has any: the alert's threshold.
fn time_series_custom(w: &mut Writer, lines: bool) {
    w.field("drawStyle", "line");
    w.field("fillOpacity", 10.0);
    w.field("lineWidth", 1.0);
    w.field("showPoints", "never");
    w.field("spanNulls", false);
    w.key("thresholdsStyle")
        .object(|w| w.field("mode", if lines { "dashed" } else { "off" }));
}

/// The text and colour of each value: a breaker's three states, the bot's up and down.
fn mappings(w: &mut Writer, kind: Kind) {
    let states: &[(&str, &str, &str)] = match kind {
        Kind::BreakerState => &[
            ("0", "closed", "green"),
            ("1", "open", "red"),
            ("2", "half-open", "yellow"),
        ],
        Kind::Up => &[("0", "DOWN", "red"), ("1", "UP", "green")],
        Kind::TimeSeries
        | Kind::Stat
        | Kind::Gauge
        | Kind::Heatmap
        | Kind::BarGauge
        | Kind::Table
        | Kind::Pie
        | Kind::DailyBars => return,
    };
    w.object(|w| {
        w.key("options").object(|w| {
            for (index, (value, text, color)) in states.iter().enumerate() {
                w.key(value).object(|w| {
                    w.field("color", *color);
                    w.field("index", index as f64);
                    w.field("text", *text);
                });
            }
        });
        w.field("type", "value");
    });
}

/// A declared metric's named values (`states(...)`, a `value == X` alert's colour), as one
/// value mapping.
fn named_values(w: &mut Writer, named: &[Mapping]) {
    if named.is_empty() {
        return;
    }
    w.object(|w| {
        w.key("options").object(|w| {
            for (index, mapping) in named.iter().enumerate() {
                w.number_key(&mapping.value).object(|w| {
                    w.field("color", mapping.color);
                    w.field("index", index as f64);
                    w.field("text", mapping.text.as_str());
                });
            }
        });
        w.field("type", "value");
    });
}

/// A heatmap of Prometheus' buckets as they are (no recalculation), its y axis in `unit`.
fn heatmap_options(w: &mut Writer, unit: &str) {
    w.field("calculate", false);
    w.field("cellGap", 1.0);
    w.key("color").object(|w| {
        w.field("exponent", 0.5);
        w.field("fill", "dark-orange");
        w.field("mode", "scheme");
        w.field("reverse", false);
        w.field("scale", "exponential");
        w.field("scheme", "Oranges");
        w.field("steps", 64.0);
    });
    w.key("legend").object(|w| w.field("show", true));
    w.key("rowsFrame").object(|w| w.field("layout", "le"));
    w.key("tooltip").object(|w| {
        w.field("mode", "single");
        w.field("yHistogram", false);
    });
    w.key("yAxis").object(|w| {
        w.field("axisPlacement", "left");
        w.field("reverse", false);
        w.field("unit", unit);
    });
}

fn legend(w: &mut Writer) {
    w.key("calcs").array(|_| {});
    w.field("displayMode", "list");
    w.field("placement", "bottom");
    w.field("showLegend", true);
}

fn tooltip(w: &mut Writer) {
    w.field("mode", "multi");
    w.field("sort", "none");
}

fn options(w: &mut Writer, kind: Kind) {
    match kind {
        Kind::TimeSeries | Kind::DailyBars => {
            w.key("legend").object(legend);
            w.key("tooltip").object(tooltip);
        }
        Kind::Pie => {
            w.key("displayLabels").array(|w| w.value("percent"));
            w.key("legend").object(|w| {
                w.key("calcs").array(|_| {});
                w.field("displayMode", "table");
                w.field("placement", "right");
                w.field("showLegend", true);
                w.key("values").array(|w| {
                    w.value("value");
                    w.value("percent");
                });
            });
            w.field("pieType", "pie");
            w.key("reduceOptions").object(|w| {
                w.key("calcs").array(|w| w.value("lastNotNull"));
                w.field("fields", "");
                w.field("values", false);
            });
            w.key("tooltip").object(tooltip);
        }
        Kind::Stat | Kind::Up => {
            w.field("colorMode", "background");
            w.field("graphMode", "none");
            w.field("justifyMode", "auto");
            w.field("orientation", "auto");
            w.key("reduceOptions").object(|w| {
                w.key("calcs").array(|w| w.value("lastNotNull"));
                w.field("fields", "");
                w.field("values", false);
            });
            w.field("textMode", "auto");
        }
        Kind::Gauge => {
            w.field("minVizHeight", 75.0);
            w.field("minVizWidth", 75.0);
            w.field("orientation", "auto");
            w.key("reduceOptions").object(|w| {
                w.key("calcs").array(|w| w.value("lastNotNull"));
                w.field("fields", "");
                w.field("values", false);
            });
            w.field("showThresholdLabels", false);
            w.field("showThresholdMarkers", true);
            w.field("sizing", "auto");
        }
        Kind::BarGauge => {
            w.field("displayMode", "gradient");
            w.key("legend").object(|w| {
                w.key("calcs").array(|_| {});
                w.field("displayMode", "list");
                w.field("placement", "bottom");
                w.field("showLegend", false);
            });
            w.field("maxVizHeight", 300.0);
            w.field("minVizHeight", 16.0);
            w.field("minVizWidth", 8.0);
            w.field("namePlacement", "auto");
            w.field("orientation", "horizontal");
            w.key("reduceOptions").object(|w| {
                w.key("calcs").array(|w| w.value("lastNotNull"));
                w.field("fields", "");
                w.field("values", false);
            });
            w.field("showUnfilled", true);
            w.field("sizing", "auto");
            w.field("valueMode", "color");
        }
        Kind::Table => {
            w.field("cellHeight", "sm");
            w.key("footer").object(|w| {
                w.field("countRows", false);
                w.key("fields").array(|_| {});
                w.key("reducer").array(|w| w.value("sum"));
                w.field("show", false);
            });
            w.field("showHeader", true);
        }
        // Written by `heatmap_options`, with the panel's unit.
        Kind::Heatmap => {}
        Kind::BreakerState => {
            w.field("alignValue", "left");
            w.key("legend").object(legend);
            w.field("mergeValues", true);
            w.field("rowHeight", 0.9);
            w.field("showValue", "auto");
            w.key("tooltip").object(tooltip);
        }
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
