//! The dashboard's variables: the data source, the Prometheus `job` and `instance`, and one
//! per per-call label (`venue`, `side`) narrowing the functions that carry it.

use super::json::Writer;
use super::panels::datasource;

/// The data source picker, Prometheus data sources only.
fn datasource_variable(w: &mut Writer) {
    w.object(|w| {
        w.key("current").object(|_| {});
        w.field("hide", 0.0);
        w.field("includeAll", false);
        w.field("label", "Data source");
        w.field("multi", false);
        w.field("name", "datasource");
        w.key("options").array(|_| {});
        w.field("query", "prometheus");
        w.field("refresh", 1.0);
        w.field("regex", "");
        w.field("type", "datasource");
    });
}

/// A variable listing the values of its label on its series. "All" stands for every value
/// listed, or for any value at all when `any` (per-call labels: a label set first seen
/// after the list was loaded still shows).
fn label_variable(w: &mut Writer, variable: &Variable) {
    let name = variable.name.as_str();
    let definition = label_values(&variable.series, name);
    w.object(|w| {
        if variable.any {
            w.field("allValue", ".*");
        }
        w.key("current").object(|_| {});
        w.key("datasource").object(datasource);
        w.field("hide", 0.0);
        w.field("includeAll", true);
        w.field("label", name);
        w.field("multi", true);
        w.field("name", name);
        w.key("options").array(|_| {});
        w.key("query").object(|w| {
            w.field("qryType", 1.0);
            w.field("query", definition.as_str());
            w.field("refId", "PrometheusVariableQueryEditor-VariableQuery");
        });
        w.field("refresh", 2.0);
        w.field("regex", "");
        w.field("sort", 1.0);
        w.field("type", "query");
    });
}

/// `label_values(series, label)`, Grafana's query for a label's values.
pub(crate) fn label_values(series: &str, label: &str) -> String {
    format!("label_values({series}, {label})")
}

/// What a variable lists: its name and the series whose label values it offers.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Variable {
    /// The variable's name, also the label it lists.
    pub(crate) name: String,
    /// The series selector its values come from.
    pub(crate) series: String,
    /// "All" matches any value, not only those listed.
    pub(crate) any: bool,
}

/// `job` over `anchor` (a selector `metric{...}` of the bot's own series), `instance`
/// within the chosen jobs, then each per-call label over the first metric carrying it.
pub(crate) fn variables(anchor: &str, call_labels: &[(String, String)]) -> Vec<Variable> {
    let within_job = match anchor.strip_suffix("{}") {
        Some(metric) => format!("{metric}{{job=~\"$job\"}}"),
        None => format!("{}, job=~\"$job\"}}", anchor.trim_end_matches('}')),
    };
    let mut out = vec![
        Variable {
            name: "job".to_owned(),
            series: anchor.to_owned(),
            any: false,
        },
        Variable {
            name: "instance".to_owned(),
            series: within_job,
            any: false,
        },
    ];
    out.extend(call_labels.iter().map(|(key, metric)| Variable {
        name: key.clone(),
        series: format!("{metric}{{job=~\"$job\", instance=~\"$instance\"}}"),
        any: true,
    }));
    out
}

/// The `templating` object's entries.
pub(crate) fn templating(w: &mut Writer, variables: &[Variable]) {
    w.key("list").array(|w| {
        datasource_variable(w);
        for variable in variables {
            label_variable(w, variable);
        }
    });
}
