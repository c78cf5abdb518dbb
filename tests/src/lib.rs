//! Helpers shared by the end-to-end tests: a plain HTTP/1.1 client for loopback and a reader
//! of the Prometheus text format.

/// The README's examples, compiled as doctests so they cannot rot.
#[doc = include_str!("../../README.md")]
mod readme {}

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// A response: status code, lower-cased headers, body.
#[derive(Debug)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header names in lower case.
    pub headers: BTreeMap<String, String>,
    /// The body as text.
    pub body: String,
}

/// `GET path` on `addr`, bounded to five seconds.
pub fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<Response> {
    request(addr, "GET", path)
}

/// One request with `Connection: close`, bounded to five seconds.
pub fn request(addr: SocketAddr, method: &str, path: &str) -> std::io::Result<Response> {
    let timeout = Duration::from_secs(5);
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> std::io::Result<Response> {
    let invalid =
        |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| invalid("no header end"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or_else(|| invalid("no status line"))?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("bad status line"))?;
    let headers: BTreeMap<String, String> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let body = if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.contains("chunked"))
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Ok(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// One sample line of the text format.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The series name (`function_calls_total`, `x_bucket`).
    pub name: String,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
    /// Its value.
    pub value: f64,
}

/// A parsed `/metrics` body.
#[derive(Debug, Default)]
pub struct Exposition {
    /// Every sample, in order.
    pub samples: Vec<Sample>,
    /// `# HELP` text by metric family.
    pub help: BTreeMap<String, String>,
    /// `# TYPE` by metric family.
    pub types: BTreeMap<String, String>,
}

impl Exposition {
    /// Parses the text format; panics with the line on anything malformed, since the
    /// exporter must never serve that.
    pub fn parse(text: &str) -> Exposition {
        let mut out = Exposition::default();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
                assert!(
                    out.help.insert(name.to_owned(), help.to_owned()).is_none(),
                    "HELP twice: {line}"
                );
            } else if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').expect("TYPE line has a type");
                assert!(
                    out.types.insert(name.to_owned(), kind.to_owned()).is_none(),
                    "TYPE twice: {line}"
                );
            } else if line.starts_with('#') {
                continue;
            } else {
                out.samples.push(parse_sample(line));
            }
        }
        out
    }

    /// The value of the one sample named `name` whose labels include `labels`.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let matching: Vec<&Sample> = self.matching(name, labels).collect();
        assert!(
            matching.len() <= 1,
            "several series of {name} match {labels:?}: {matching:?}"
        );
        matching.first().map(|s| s.value)
    }

    /// Every sample named `name` whose labels include `labels`.
    pub fn matching<'a>(
        &'a self,
        name: &'a str,
        labels: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = &'a Sample> + 'a {
        self.samples.iter().filter(move |s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
    }
}

fn parse_sample(line: &str) -> Sample {
    let (series, value) = line
        .rsplit_once(' ')
        .unwrap_or_else(|| panic!("no value: {line}"));
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().unwrap_or_else(|_| panic!("bad value: {line}")),
    };
    let (name, labels) = match series.split_once('{') {
        Some((name, rest)) => {
            let inner = rest
                .strip_suffix('}')
                .unwrap_or_else(|| panic!("unclosed labels: {line}"));
            (name, parse_labels(inner, line))
        }
        None => (series, BTreeMap::new()),
    };
    Sample {
        name: name.to_owned(),
        labels,
        value,
    }
}

fn parse_labels(mut inner: &str, line: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    while !inner.is_empty() {
        let (key, rest) = inner
            .split_once("=\"")
            .unwrap_or_else(|| panic!("bad label: {line}"));
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c)) => value.push(c),
                    None => panic!("dangling escape: {line}"),
                },
                Some((i, '"')) => break i,
                Some((_, c)) => value.push(c),
                None => panic!("unterminated value: {line}"),
            }
        };
        assert!(
            labels.insert(key.to_owned(), value).is_none(),
            "label twice: {line}"
        );
        inner = rest[end + 1..].trim_start_matches(',');
    }
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_escaped_labels_and_special_values() {
        let text = "# HELP m Help.\n# TYPE m counter\nm{a=\"x\\\"y\",b=\"1\\n2\"} 3\nh_bucket{le=\"+Inf\"} 4\n";
        let e = Exposition::parse(text);
        assert_eq!(e.value("m", &[("a", "x\"y"), ("b", "1\n2")]), Some(3.0));
        assert_eq!(e.value("h_bucket", &[("le", "+Inf")]), Some(4.0));
        assert_eq!(e.types["m"], "counter");
    }
}

/// The environment variable that turns a missing external tool into a test failure.
pub const REQUIRE_TOOLS_ENV: &str = "BOTWATCH_REQUIRE_TOOLS";

/// The path of an external tool (`promtool`, `prometheus`, ...) if it is installed.
///
/// When it is missing the test should skip: this prints why. With `BOTWATCH_REQUIRE_TOOLS`
/// set (as `.ci/run` does), a missing tool fails the test instead.
pub fn tool(name: &str) -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        let why = format!(
            "{name} is not installed (Debian: apt-get install prometheus prometheus-alertmanager)"
        );
        if std::env::var_os(REQUIRE_TOOLS_ENV).is_some() {
            panic!("{why}, and {REQUIRE_TOOLS_ENV} is set");
        }
        eprintln!("SKIPPED: {why}; set {REQUIRE_TOOLS_ENV}=1 to make this a failure");
    }
    found
}

/// Runs a tool and returns its combined output, panicking with that output if it fails.
pub fn run_ok(program: &std::path::Path, args: &[&std::ffi::OsStr]) -> String {
    let output = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "{} {:?} failed:\n{text}",
        program.display(),
        args
    );
    text
}

/// A fresh directory under the target directory for one test's files.
pub fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("botwatch-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch directory");
    dir
}
