//! The parsed model as a constant expression, embedded in the user's binary so the runtime
//! renders metrics and rules from exactly what the macro parsed.

use std::time::Duration;

use botwatch_spec::declared::{Declared, MetricKind, ValueAlert, ValueComparison, ValueCondition};
use botwatch_spec::guard::Guard;
use botwatch_spec::model::{
    Alert, Attribute, CircuitBreaker, Comparison, Condition, Counted, Label, MetricOptions,
    Quantile, Slo, Timed,
};
use proc_macro2::{Literal, TokenStream};
use quote::quote;

/// `::botwatch::__private::spec::Site { .. }` for the function `function`.
pub(crate) fn site(function: &str, attribute: &Attribute) -> TokenStream {
    let attribute = attribute_tokens(attribute);
    quote! {
        ::botwatch::__private::spec::Site {
            function: ::botwatch::__private::Cow::Borrowed(#function),
            module: ::botwatch::__private::Cow::Borrowed(::core::module_path!()),
            attribute: #attribute,
        }
    }
}

fn attribute_tokens(attribute: &Attribute) -> TokenStream {
    match attribute {
        Attribute::Counted(c) => {
            let inner = counted(c);
            quote!(::botwatch::__private::spec::Attribute::Counted(#inner))
        }
        Attribute::Timed(t) => {
            let inner = timed(t);
            quote!(::botwatch::__private::spec::Attribute::Timed(#inner))
        }
        Attribute::CircuitBreaker(b) => {
            let inner = breaker(b);
            quote!(::botwatch::__private::spec::Attribute::CircuitBreaker(#inner))
        }
    }
}

fn counted(c: &Counted) -> TokenStream {
    let metric = metric(&c.metric);
    let alerts = list(c.alerts.iter().map(alert));
    let slos = list(c.slos.iter().map(slo));
    let error_if = option(c.error_if.as_deref().map(text));
    let ok_if = option(c.ok_if.as_deref().map(text));
    quote!(::botwatch::__private::spec::Counted {
        metric: #metric, alerts: #alerts, slos: #slos, error_if: #error_if, ok_if: #ok_if
    })
}

fn timed(t: &Timed) -> TokenStream {
    let metric = metric(&t.metric);
    let buckets = option(
        t.buckets
            .as_ref()
            .map(|b| list(b.iter().map(|v| float(*v)))),
    );
    let alerts = list(t.alerts.iter().map(alert));
    let slos = list(t.slos.iter().map(slo));
    let quantiles = option(
        t.quantiles
            .as_ref()
            .map(|q| list(q.iter().map(|q| quantile(*q)))),
    );
    quote!(::botwatch::__private::spec::Timed {
        metric: #metric, buckets: #buckets, alerts: #alerts, slos: #slos, quantiles: #quantiles
    })
}

fn breaker(b: &CircuitBreaker) -> TokenStream {
    let name = option(b.name.as_deref().map(text));
    let failures = option(b.failures.map(|n| quote!(#n)));
    let failure_rate = option(b.failure_rate.map(float));
    let (window, min_calls, half_open, successes) =
        (b.window, b.min_calls, b.half_open, b.successes);
    let slow = option(b.slow.map(duration));
    let reset = duration(b.reset);
    let backoff = option(b.backoff.map(float));
    let max_reset = option(b.max_reset.map(duration));
    let failure_if = option(b.failure_if.as_deref().map(text));
    let ignore_if = option(b.ignore_if.as_deref().map(text));
    let success_if = option(b.success_if.as_deref().map(text));
    let probe_timeout = duration(b.probe_timeout);
    let latency = b.latency;
    let per = option(b.per.as_deref().map(text));
    let max_keys = b.max_keys;
    let alerts = list(b.alerts.iter().map(alert));
    quote!(::botwatch::__private::spec::CircuitBreaker {
        name: #name, failures: #failures, failure_rate: #failure_rate, window: #window,
        min_calls: #min_calls, slow: #slow, reset: #reset, backoff: #backoff,
        max_reset: #max_reset, half_open: #half_open, successes: #successes,
        failure_if: #failure_if, ignore_if: #ignore_if, success_if: #success_if,
        probe_timeout: #probe_timeout, latency: #latency, per: #per, max_keys: #max_keys,
        alerts: #alerts,
    })
}

fn metric(m: &MetricOptions) -> TokenStream {
    let name = option(m.name.as_deref().map(text));
    let help = option(m.help.as_deref().map(text));
    let labels = labels(&m.labels);
    let call_labels = list(m.call_labels.iter().map(|k| text(k)));
    let max_series = option(m.max_series.map(|n| quote!(#n)));
    let label_idle = option(m.label_idle.map(duration));
    let in_flight = m.in_flight;
    quote!(::botwatch::__private::spec::MetricOptions {
        name: #name, help: #help, labels: #labels, call_labels: #call_labels, max_series: #max_series,
        label_idle: #label_idle, in_flight: #in_flight,
    })
}

fn labels(labels: &[Label]) -> TokenStream {
    list(labels.iter().map(|l| {
        let (key, value) = (text(&l.key), text(&l.value));
        quote!(::botwatch::__private::spec::Label { key: #key, value: #value })
    }))
}

fn alert(a: &Alert) -> TokenStream {
    alert_with(a, condition(&a.condition))
}

/// An `Alert` of any condition, given the condition's tokens.
fn alert_with<C>(a: &Alert<C>, condition: TokenStream) -> TokenStream {
    let for_ = option(a.for_.map(duration));
    let within = option(a.within.map(duration));
    let window = option(a.window.map(duration));
    let min_rate = option(a.min_rate.map(float));
    let severity = option(a.severity.as_deref().map(text));
    let name = option(a.name.as_deref().map(text));
    let summary = option(a.summary.as_deref().map(text));
    let description = option(a.description.as_deref().map(text));
    let runbook = option(a.runbook.as_deref().map(text));
    let labels = labels(&a.labels);
    let during = option(a.during.as_deref().map(text));
    quote!(::botwatch::__private::spec::Alert {
        condition: #condition, for_: #for_, within: #within, window: #window,
        min_rate: #min_rate, severity: #severity, name: #name,
        summary: #summary, description: #description, runbook: #runbook, labels: #labels,
        during: #during,
    })
}

fn condition(c: &Condition) -> TokenStream {
    let path = quote!(::botwatch::__private::spec::Condition);
    match c {
        Condition::Latency {
            quantile: q,
            threshold,
        } => {
            let (q, threshold) = (quantile(*q), duration(*threshold));
            quote!(#path::Latency { quantile: #q, threshold: #threshold })
        }
        Condition::ErrorRate { above } => {
            let above = float(*above);
            quote!(#path::ErrorRate { above: #above })
        }
        Condition::Idle { window } => {
            let window = duration(*window);
            quote!(#path::Idle { window: #window })
        }
        Condition::Rate {
            comparison: c,
            calls,
            per,
        } => {
            let (c, calls, per) = (comparison(*c), float(*calls), duration(*per));
            quote!(#path::Rate {
                comparison: #c,
                calls: #calls,
                per: #per,
            })
        }
        Condition::Open => quote!(#path::Open),
        Condition::Flapping { more_than } => quote!(#path::Flapping { more_than: #more_than }),
        Condition::Errors { more_than } => quote!(#path::Errors { more_than: #more_than }),
        Condition::InFlight { above } => quote!(#path::InFlight { above: #above }),
        Condition::Oldest { limit } => {
            let limit = duration(*limit);
            quote!(#path::Oldest { limit: #limit })
        }
        Condition::CallsRatio {
            other,
            comparison: c,
            threshold,
        } => {
            let (other, c, threshold) = (text(other), comparison(*c), float(*threshold));
            quote!(#path::CallsRatio {
                other: #other,
                comparison: #c,
                threshold: #threshold,
            })
        }
    }
}

fn slo(s: &Slo) -> TokenStream {
    let objective = float(s.objective);
    let latency = option(s.latency.map(duration));
    let min_rate = option(s.min_rate.map(float));
    quote!(::botwatch::__private::spec::Slo {
        objective: #objective, latency: #latency, min_rate: #min_rate
    })
}

fn text(s: &str) -> TokenStream {
    quote!(::botwatch::__private::Cow::Borrowed(#s))
}

fn float(value: f64) -> TokenStream {
    let lit = Literal::f64_suffixed(value);
    quote!(#lit)
}

fn duration(d: Duration) -> TokenStream {
    let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    quote!(::core::time::Duration::from_nanos(#nanos))
}

fn option(value: Option<TokenStream>) -> TokenStream {
    match value {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    }
}

fn list(items: impl Iterator<Item = TokenStream>) -> TokenStream {
    let items: Vec<TokenStream> = items.collect();
    quote!(::botwatch::__private::Cow::Borrowed(&[#(#items),*]))
}

/// `::botwatch::__private::spec::declared::Declared { .. }` for a static declared in the
/// module the tokens land in.
pub(crate) fn declared(d: &Declared) -> TokenStream {
    let kind = match d.kind {
        MetricKind::Gauge => quote!(Gauge),
        MetricKind::Counter => quote!(Counter),
        MetricKind::Histogram => quote!(Histogram),
    };
    let static_name = text(&d.static_name);
    let name = option(d.name.as_deref().map(text));
    let help = option(d.help.as_deref().map(text));
    let labels = labels(&d.labels);
    let label_keys = list(d.label_keys.iter().map(|k| text(k)));
    let max_series = option(d.max_series.map(|n| quote!(#n)));
    let buckets = option(
        d.buckets
            .as_ref()
            .map(|b| list(b.iter().map(|v| float(*v)))),
    );
    let alerts = list(d.alerts.iter().map(value_alert));
    let guard = option(d.guard.as_ref().map(guard));
    let unit = option(d.unit.as_deref().map(text));
    let states = list(d.states.iter().map(|s| {
        let (value, name) = (float(s.value), text(&s.name));
        quote!(::botwatch::__private::spec::declared::StateName { value: #value, name: #name })
    }));
    quote!(::botwatch::__private::spec::declared::Declared {
        kind: ::botwatch::__private::spec::declared::MetricKind::#kind,
        static_name: #static_name,
        module: ::botwatch::__private::Cow::Borrowed(::core::module_path!()),
        name: #name, help: #help, labels: #labels, label_keys: #label_keys,
        max_series: #max_series, buckets: #buckets, alerts: #alerts, guard: #guard,
        unit: #unit, states: #states,
    })
}

/// `::botwatch::__private::spec::guard::Guard { .. }`.
fn guard(g: &Guard) -> TokenStream {
    let condition = value_condition(&g.condition);
    let open = list(g.open.iter().map(|name| text(name)));
    let for_ = option(g.for_.map(duration));
    let latch = g.latch;
    quote!(::botwatch::__private::spec::guard::Guard {
        condition: #condition, open: #open, for_: #for_, latch: #latch,
    })
}

fn value_alert(a: &ValueAlert) -> TokenStream {
    alert_with(a, value_condition(&a.condition))
}

fn comparison(c: Comparison) -> TokenStream {
    match c {
        Comparison::Below => quote!(::botwatch::__private::spec::Comparison::Below),
        Comparison::Above => quote!(::botwatch::__private::spec::Comparison::Above),
    }
}

fn quantile(q: Quantile) -> TokenStream {
    let q = match q {
        Quantile::P50 => quote!(P50),
        Quantile::P90 => quote!(P90),
        Quantile::P95 => quote!(P95),
        Quantile::P99 => quote!(P99),
        Quantile::P999 => quote!(P999),
    };
    quote!(::botwatch::__private::spec::Quantile::#q)
}

fn value_condition(c: &ValueCondition) -> TokenStream {
    let path = quote!(::botwatch::__private::spec::declared::ValueCondition);
    match c {
        ValueCondition::Value {
            comparison,
            threshold,
        } => {
            let comparison = match comparison {
                ValueComparison::Below => quote!(Below),
                ValueComparison::Above => quote!(Above),
                ValueComparison::Equal => quote!(Equal),
                ValueComparison::NotEqual => quote!(NotEqual),
            };
            let threshold = float(*threshold);
            quote!(#path::Value {
                comparison: ::botwatch::__private::spec::declared::ValueComparison::#comparison,
                threshold: #threshold,
            })
        }
        ValueCondition::Ratio {
            denominator,
            comparison: c,
            threshold,
        } => {
            let (denominator, c, threshold) =
                (text(denominator), comparison(*c), float(*threshold));
            quote!(#path::Ratio { denominator: #denominator, comparison: #c, threshold: #threshold })
        }
        ValueCondition::IncreaseRatio {
            denominator,
            comparison: c,
            threshold,
        } => {
            let (denominator, c, threshold) =
                (text(denominator), comparison(*c), float(*threshold));
            quote!(#path::IncreaseRatio { denominator: #denominator, comparison: #c, threshold: #threshold })
        }
        ValueCondition::Unchanged { window } => {
            let window = duration(*window);
            quote!(#path::Unchanged { window: #window })
        }
        ValueCondition::Stale { after } => {
            let after = duration(*after);
            quote!(#path::Stale { after: #after })
        }
        ValueCondition::Age { limit } => {
            let limit = duration(*limit);
            quote!(#path::Age { limit: #limit })
        }
        ValueCondition::Gap {
            reference,
            comparison: c,
            threshold,
        } => {
            let (reference, c, threshold) = (text(reference), comparison(*c), float(*threshold));
            quote!(#path::Gap { reference: #reference, comparison: #c, threshold: #threshold })
        }
        ValueCondition::Lag { threshold } => {
            let threshold = float(*threshold);
            quote!(#path::Lag { threshold: #threshold })
        }
        ValueCondition::Total {
            comparison: c,
            threshold,
        } => {
            let (c, threshold) = (comparison(*c), float(*threshold));
            quote!(#path::Total { comparison: #c, threshold: #threshold })
        }
        ValueCondition::Increase {
            comparison: c,
            amount,
        } => {
            let (c, amount) = (comparison(*c), float(*amount));
            quote!(#path::Increase { comparison: #c, amount: #amount })
        }
        ValueCondition::Rate {
            comparison: c,
            amount,
            per,
        } => {
            let (c, amount, per) = (comparison(*c), float(*amount), duration(*per));
            quote!(#path::Rate { comparison: #c, amount: #amount, per: #per })
        }
        ValueCondition::Idle { window } => {
            let window = duration(*window);
            quote!(#path::Idle { window: #window })
        }
        ValueCondition::State { name, value } => {
            let (name, value) = (text(name), float(*value));
            quote!(#path::State { name: #name, value: #value })
        }
        ValueCondition::Quantile {
            quantile: q,
            comparison: c,
            threshold,
        } => {
            let (q, c, threshold) = (quantile(*q), comparison(*c), float(*threshold));
            quote!(#path::Quantile { quantile: #q, comparison: #c, threshold: #threshold })
        }
    }
}

/// Registers the crate the tokens land in (its name, version and the commit the build
/// helper found), for `botwatch_build_info`.
pub(crate) fn crate_build() -> TokenStream {
    quote! {
        const _: () = {
            #[::botwatch::__private::linkme::distributed_slice(::botwatch::__private::CRATES)]
            #[linkme(crate = ::botwatch::__private::linkme)]
            static __BOTWATCH_CRATE: ::botwatch::__private::CrateBuild =
                ::botwatch::__private::CrateBuild {
                    name: ::core::env!("CARGO_PKG_NAME"),
                    version: ::core::env!("CARGO_PKG_VERSION"),
                    commit: ::core::option_env!("BOTWATCH_GIT_COMMIT"),
                    grafana_url: ::core::option_env!("BOTWATCH_GRAFANA_URL"),
                };
        };
    }
}
