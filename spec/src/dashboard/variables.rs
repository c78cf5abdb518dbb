//! The dashboard's variables: the data source, the Prometheus `job` and `instance`, and one
//! per per-call label (`venue`, `side`) narrowing the functions that carry it.

use super::json::Json;
use super::panels::datasource;

/// The data source picker, Prometheus data sources only.
fn datasource_variable() -> Json {
    Json::object([
        ("current", Json::Object(Vec::new())),
        ("hide", Json::from(0.0)),
        ("includeAll", Json::from(false)),
        ("label", Json::from("Data source")),
        ("multi", Json::from(false)),
        ("name", Json::from("datasource")),
        ("options", Json::Array(Vec::new())),
        ("query", Json::from("prometheus")),
        ("refresh", Json::from(1.0)),
        ("regex", Json::from("")),
        ("type", Json::from("datasource")),
    ])
}

/// A variable listing the values of `label` on `series`, with "All" matching any value.
fn label_variable(name: &str, series: &str) -> Json {
    let definition = label_values(series, name);
    Json::object([
        ("allValue", Json::from(".*")),
        ("current", Json::Object(Vec::new())),
        ("datasource", datasource()),
        ("hide", Json::from(0.0)),
        ("includeAll", Json::from(true)),
        ("label", Json::from(name)),
        ("multi", Json::from(true)),
        ("name", Json::from(name)),
        ("options", Json::Array(Vec::new())),
        (
            "query",
            Json::object([
                ("qryType", Json::from(1.0)),
                ("query", Json::from(definition.as_str())),
                (
                    "refId",
                    Json::from("PrometheusVariableQueryEditor-VariableQuery"),
                ),
            ]),
        ),
        ("refresh", Json::from(2.0)),
        ("regex", Json::from("")),
        ("sort", Json::from(1.0)),
        ("type", Json::from("query")),
    ])
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
}

/// `job` over `anchor` (a series every instance of the bot exports), `instance` within the
/// chosen jobs, then each per-call label over the first metric carrying it.
pub(crate) fn variables(anchor: &str, call_labels: &[(String, String)]) -> Vec<Variable> {
    let mut out = vec![
        Variable {
            name: "job".to_owned(),
            series: anchor.to_owned(),
        },
        Variable {
            name: "instance".to_owned(),
            series: format!("{anchor}{{job=~\"$job\"}}"),
        },
    ];
    out.extend(call_labels.iter().map(|(key, metric)| Variable {
        name: key.clone(),
        series: format!("{metric}{{job=~\"$job\", instance=~\"$instance\"}}"),
    }));
    out
}

/// The `templating` object.
pub(crate) fn templating(variables: &[Variable]) -> Json {
    let mut list = vec![datasource_variable()];
    list.extend(variables.iter().map(|v| label_variable(&v.name, &v.series)));
    Json::object([("list", Json::Array(list))])
}
