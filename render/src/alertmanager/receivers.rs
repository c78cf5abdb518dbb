//! Where notifications go: the five integrations botwatch's users page and file tickets
//! with. Every secret (a bot token, a routing key, a Slack URL, a password) is named by the
//! file that holds it, never written into the YAML, so the generated file can be committed
//! and served like the rules.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::text::yaml_quoted;

/// An Alertmanager receiver: a name and the integration it notifies.
#[derive(Clone, Debug, PartialEq)]
pub struct Receiver {
    pub(super) name: String,
    pub(super) kind: Kind,
    pub(super) send_resolved: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Kind {
    Webhook {
        url: String,
    },
    Telegram {
        chat_id: i64,
        token_file: PathBuf,
    },
    PagerDuty {
        routing_key_file: PathBuf,
    },
    Slack {
        api_url_file: PathBuf,
        channel: String,
    },
    Email {
        to: String,
        smarthost: String,
        from: Option<String>,
        auth: Option<(String, PathBuf)>,
    },
}

impl Receiver {
    fn of(name: impl Into<String>, kind: Kind) -> Receiver {
        Receiver {
            name: name.into(),
            kind,
            send_resolved: true,
        }
    }

    /// A webhook: Alertmanager POSTs its JSON to `url`.
    pub fn webhook(name: impl Into<String>, url: impl Into<String>) -> Receiver {
        Receiver::of(name, Kind::Webhook { url: url.into() })
    }

    /// A Telegram chat, with the bot token read from `token_file` (`bot_token_file`, which
    /// needs Alertmanager 0.26 or later).
    pub fn telegram(
        name: impl Into<String>,
        chat_id: i64,
        token_file: impl Into<PathBuf>,
    ) -> Receiver {
        Receiver::of(
            name,
            Kind::Telegram {
                chat_id,
                token_file: token_file.into(),
            },
        )
    }

    /// PagerDuty (Events API v2), with the integration's routing key read from a file.
    pub fn pagerduty(name: impl Into<String>, routing_key_file: impl Into<PathBuf>) -> Receiver {
        Receiver::of(
            name,
            Kind::PagerDuty {
                routing_key_file: routing_key_file.into(),
            },
        )
    }

    /// A Slack channel, with the incoming webhook's URL read from `api_url_file`.
    pub fn slack(
        name: impl Into<String>,
        api_url_file: impl Into<PathBuf>,
        channel: impl Into<String>,
    ) -> Receiver {
        Receiver::of(
            name,
            Kind::Slack {
                api_url_file: api_url_file.into(),
                channel: channel.into(),
            },
        )
    }

    /// E-mail to `to` through `smarthost` (`host:port`), sent from `to` itself unless
    /// [`from`](Receiver::from) says otherwise.
    pub fn email(
        name: impl Into<String>,
        to: impl Into<String>,
        smarthost: impl Into<String>,
    ) -> Receiver {
        Receiver::of(
            name,
            Kind::Email {
                to: to.into(),
                smarthost: smarthost.into(),
                from: None,
                auth: None,
            },
        )
    }

    /// An e-mail receiver's sender address.
    #[must_use]
    pub fn from(mut self, address: impl Into<String>) -> Receiver {
        if let Kind::Email { from, .. } = &mut self.kind {
            *from = Some(address.into());
        }
        self
    }

    /// An e-mail receiver's SMTP login, the password read from `password_file`.
    #[must_use]
    pub fn auth(
        mut self,
        username: impl Into<String>,
        password_file: impl Into<PathBuf>,
    ) -> Receiver {
        if let Kind::Email { auth, .. } = &mut self.kind {
            *auth = Some((username.into(), password_file.into()));
        }
        self
    }

    /// Whether resolved alerts are notified too (default: yes).
    #[must_use]
    pub fn send_resolved(mut self, send: bool) -> Receiver {
        self.send_resolved = send;
        self
    }

    /// Its name, as routes refer to it.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The `receivers:` item of `receiver`.
pub(super) fn render(out: &mut String, receiver: &Receiver) {
    let _ = writeln!(out, "  - name: {}", yaml_quoted(&receiver.name));
    let path = |p: &PathBuf| yaml_quoted(&p.to_string_lossy());
    let fields: Vec<(&str, String)> = match &receiver.kind {
        Kind::Webhook { url } => {
            out.push_str("    webhook_configs:\n");
            vec![("url", yaml_quoted(url))]
        }
        Kind::Telegram {
            chat_id,
            token_file,
        } => {
            out.push_str("    telegram_configs:\n");
            vec![
                ("bot_token_file", path(token_file)),
                ("chat_id", chat_id.to_string()),
            ]
        }
        Kind::PagerDuty { routing_key_file } => {
            out.push_str("    pagerduty_configs:\n");
            vec![("routing_key_file", path(routing_key_file))]
        }
        Kind::Slack {
            api_url_file,
            channel,
        } => {
            out.push_str("    slack_configs:\n");
            vec![
                ("api_url_file", path(api_url_file)),
                ("channel", yaml_quoted(channel)),
            ]
        }
        Kind::Email {
            to,
            smarthost,
            from,
            auth,
        } => {
            out.push_str("    email_configs:\n");
            let mut fields = vec![
                ("to", yaml_quoted(to)),
                ("from", yaml_quoted(from.as_deref().unwrap_or(to))),
                ("smarthost", yaml_quoted(smarthost)),
            ];
            if let Some((username, password_file)) = auth {
                fields.push(("auth_username", yaml_quoted(username)));
                fields.push(("auth_password_file", path(password_file)));
            }
            fields
        }
    };
    for (i, (key, value)) in fields.iter().enumerate() {
        let lead = if i == 0 { "      - " } else { "        " };
        let _ = writeln!(out, "{lead}{key}: {value}");
    }
    let _ = writeln!(out, "        send_resolved: {}", receiver.send_resolved);
}
