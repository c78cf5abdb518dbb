//! The dashboard's variables: the data source, the Prometheus `job` and `instance`, and one
//! per per-call label (`venue`, `side`) narrowing the functions that carry it.

use std::borrow::Cow;

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

/// A variable listing the values of its label on its series. "All" stands for every value
/// listed, or for any value at all when `any` (per-call labels: a label set first seen
/// after the list was loaded still shows).
fn label_variable(variable: &Variable) -> Json {
    let name = variable.name.as_str();
    let definition = label_values(&variable.series, name);
    let mut entries = Vec::new();
    if variable.any {
        entries.push((Cow::Borrowed("allValue"), Json::from(".*")));
    }
    let Json::Object(rest) = Json::object([
        ("current", Json::Object(Vec::new())),
        ("datasource", datasource()),
        ("hide", Json::from(0.0)),
        ("includeAll", Json::from(true)),
        ("label", Json::from(name.to_owned())),
        ("multi", Json::from(true)),
        ("name", Json::from(name.to_owned())),
        ("options", Json::Array(Vec::new())),
        (
            "query",
            Json::object([
                ("qryType", Json::from(1.0)),
                ("query", Json::from(definition)),
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
    ]) else {
        unreachable!("Json::object builds an object")
    };
    entries.extend(rest);
    Json::Object(entries)
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

/// The `templating` object.
pub(crate) fn templating(variables: &[Variable]) -> Json {
    let mut list = vec![datasource_variable()];
    list.extend(variables.iter().map(label_variable));
    Json::object([("list", Json::Array(list))])
}
