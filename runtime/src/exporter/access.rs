//! Who the exporter answers: clients in the allow-list ([`super::Exporter::allow_client`]),
//! and requests whose `Host` names this exporter.
//!
//! A dual-stack listener (`[::]`) sees an IPv4 client as `::ffff:a.b.c.d`: the client's
//! address is compared in its IPv4 form, so an IPv4 allow-list admits it.
//!
//! The `Host` check stops DNS rebinding: a web page under a name the attacker controls,
//! opened in the operator's browser, can make that name resolve to 127.0.0.1 and then read
//! the bot as a page of its own origin, from inside the allow-list. Its requests carry the
//! attacker's name in `Host`; the bot's own clients name it by an IP literal, `localhost`,
//! or a name the bot declared with [`super::Exporter::host`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use ipnet::IpNet;

use super::ALLOW_ENV;

/// The clients and host names an exporter serves.
#[derive(Debug, Default)]
pub(crate) struct Access {
    /// Empty: every client.
    pub(crate) allowed: Vec<IpNet>,
    /// Host names beyond IP literals and `localhost`, lower case, without a trailing dot.
    pub(crate) hosts: Vec<String>,
}

impl Access {
    /// Whether `client` may be served: every client when the allow-list is empty.
    pub(crate) fn admits(&self, client: IpAddr) -> bool {
        let client = client.to_canonical();
        self.allowed.is_empty() || self.allowed.iter().any(|net| net.contains(&client))
    }

    /// Whether a request with these `Host` header values is for this exporter. A request
    /// without one (HTTP/1.0) is: a browser always sends it.
    pub(crate) fn serves_host<'a>(&self, mut values: impl Iterator<Item = &'a [u8]>) -> bool {
        let Some(value) = values.next() else {
            return true;
        };
        if values.next().is_some() {
            return false; // two Host headers: which one would the browser have meant?
        }
        let Some(name) = std::str::from_utf8(value).ok().and_then(host_name) else {
            return false;
        };
        match name {
            HostName::Ip => true,
            HostName::Name(name) => {
                let name = normalise(name);
                name == "localhost" || self.hosts.contains(&name)
            }
        }
    }
}

/// One allowed client: a CIDR block (`10.0.0.0/8`) or an address (`10.1.2.3`, `::1`).
pub(crate) fn parse_client(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .ok()
}

/// `BOTWATCH_ALLOW`: clients separated by commas; empty entries are ignored, and an empty
/// value is no allow-list.
pub(crate) fn parse_clients(list: &str) -> Option<Vec<IpNet>> {
    list.split(',')
        .filter(|entry| !entry.trim().is_empty())
        .map(parse_client)
        .collect()
}

/// The line said once on stderr when the exporter listens beyond loopback and serves every
/// client that can reach it.
pub(crate) fn open_to_all_warning(listening: SocketAddr, allowed: &[IpNet]) -> Option<String> {
    if !allowed.is_empty() || listening.ip().to_canonical().is_loopback() {
        return None;
    }
    Some(format!(
        "botwatch: warning: the exporter listens on {listening}, beyond loopback, and serves \
         every client that can reach it: its metrics, labels, breaker keys and rules are public \
         to them. Limit it with Exporter::allow_client(\"10.0.0.0/8\") or \
         {ALLOW_ENV}=10.0.0.0/8, or listen on 127.0.0.1."
    ))
}

/// A `Host` value without its port.
#[derive(Debug, PartialEq)]
enum HostName<'a> {
    Ip,
    Name(&'a str),
}

/// Splits `host[:port]` (or `[v6][:port]`); `None` when it is not of that shape.
fn host_name(value: &str) -> Option<HostName<'_>> {
    let value = value.trim();
    let (host, port) = match value.strip_prefix('[') {
        Some(bracketed) => {
            let (inside, after) = bracketed.split_once(']')?;
            inside.parse::<Ipv6Addr>().ok()?;
            let port = match after {
                "" => None,
                _ => Some(after.strip_prefix(':')?),
            };
            (HostName::Ip, port)
        }
        None => {
            let (host, port) = match value.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (value, None),
            };
            if host.is_empty() {
                return None;
            }
            let host = match host.parse::<Ipv4Addr>() {
                Ok(_) => HostName::Ip,
                Err(_) => HostName::Name(host),
            };
            (host, port)
        }
    };
    match port {
        Some(port) if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) => None,
        _ => Some(host),
    }
}

/// A host name as compared: lower case, without the trailing dot of a fully qualified name.
pub(crate) fn normalise(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// Whether `name` can be given to [`super::Exporter::host`]: a DNS name (letters, digits,
/// `-` and `.`), not an address.
pub(crate) fn is_host_name(name: &str) -> bool {
    let name = name.trim().trim_end_matches('.');
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serves(access: &Access, host: &str) -> bool {
        access.serves_host(std::iter::once(host.as_bytes()))
    }

    #[test]
    fn ip_literals_and_localhost_are_served_with_or_without_a_port() {
        let access = Access::default();
        for host in [
            "127.0.0.1",
            "127.0.0.1:9000",
            "10.1.2.3:80",
            "[::1]",
            "[::1]:9000",
            "[::ffff:127.0.0.1]:9000",
            "localhost",
            "LocalHost:9000",
            "localhost.:9000",
        ] {
            assert!(serves(&access, host), "{host}");
        }
        assert!(access.serves_host(std::iter::empty()), "no Host (HTTP/1.0)");
    }

    /// Catches: no Host check (DNS rebinding), a suffix or prefix match, a lax port.
    #[test]
    fn other_names_and_malformed_hosts_are_refused() {
        let access = Access {
            hosts: vec!["bot-1.internal".to_owned()],
            ..Access::default()
        };
        assert!(serves(&access, "bot-1.internal:9000"));
        assert!(serves(&access, "BOT-1.Internal."));
        for host in [
            "evil.example",
            "evil.example:9000",
            "localhost.evil.example",
            "bot-1.internal.evil.example",
            "x.bot-1.internal",
            "127.0.0.1.evil.example",
            "127.0.0.1:90x0",
            "127.0.0.1:",
            ":9000",
            "",
            "[::1",
            "[::1]9000",
            "[::1]:",
            "[evil.example]:9000",
            "::1",
        ] {
            assert!(!serves(&access, host), "{host:?}");
        }
        let twice = [b"127.0.0.1".as_slice(), b"evil.example".as_slice()];
        assert!(!access.serves_host(twice.into_iter()), "two Host headers");
        assert!(!access.serves_host(std::iter::once(b"\xff".as_slice())));
    }

    /// Catches: the IPv4-mapped address of a dual-stack listener's IPv4 client compared as
    /// it is, so that Prometheus gets 403 from an IPv4 allow-list.
    #[test]
    fn ipv4_clients_of_a_dual_stack_listener_are_compared_as_ipv4() {
        let access = Access {
            allowed: vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()],
            ..Access::default()
        };
        let mapped = |v4: [u8; 4]| IpAddr::V6(std::net::Ipv4Addr::from(v4).to_ipv6_mapped());
        assert!(access.admits(mapped([10, 1, 2, 3])));
        assert!(access.admits(IpAddr::from([10, 1, 2, 3])));
        assert!(access.admits("::1".parse().unwrap()));
        assert!(!access.admits(mapped([11, 1, 2, 3])));
        assert!(!access.admits("::2".parse().unwrap()));
    }

    #[test]
    fn the_allow_env_lists_clients_separated_by_commas() {
        let parsed = parse_clients(" 127.0.0.1/32, 10.0.0.0/8,::1,").unwrap();
        let expected: Vec<IpNet> = ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
            .iter()
            .map(|n| n.parse().unwrap())
            .collect();
        assert_eq!(parsed, expected);
        assert_eq!(parse_clients(""), Some(Vec::new()));
        assert_eq!(parse_clients("10.0.0.0/8;192.168.0.0/16"), None);
        assert_eq!(parse_clients("10.0.0.0/33"), None);
    }

    /// Catches: no warning, a warning for loopback (every test and dev run), or one in
    /// spite of an allow-list.
    #[test]
    fn listening_beyond_loopback_with_no_allow_list_is_warned_of() {
        let any: SocketAddr = "0.0.0.0:9100".parse().unwrap();
        let warning = open_to_all_warning(any, &[]).expect("0.0.0.0 with no allow-list");
        assert!(
            warning.contains("0.0.0.0:9100") && warning.contains(ALLOW_ENV),
            "{warning}"
        );
        assert!(open_to_all_warning("[::]:9100".parse().unwrap(), &[]).is_some());
        assert!(open_to_all_warning("10.1.2.3:9100".parse().unwrap(), &[]).is_some());
        for quiet in ["127.0.0.1:9100", "[::1]:9100", "[::ffff:127.0.0.1]:9100"] {
            assert!(
                open_to_all_warning(quiet.parse().unwrap(), &[]).is_none(),
                "{quiet}"
            );
        }
        assert!(open_to_all_warning(any, &["10.0.0.0/8".parse().unwrap()]).is_none());
    }

    #[test]
    fn host_names_given_by_the_bot_are_dns_names() {
        for good in ["bot-1.internal", "localhost", "a.b.c.", "BOT"] {
            assert!(is_host_name(good), "{good}");
        }
        for bad in [
            "",
            ".",
            "bot_1.internal",
            "bot 1",
            "a..b",
            "bot:9000",
            "[::1]",
        ] {
            assert!(!is_host_name(bad), "{bad}");
        }
    }
}
