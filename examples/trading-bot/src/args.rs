//! Command-line options.

use std::net::SocketAddr;
use std::time::Duration;

use crate::chaos::Chaos;

pub(crate) const USAGE: &str = "\
usage: trading-bot [options]

  --duration D         stop after D (30s, 5m); default: run until Ctrl-C
  --chaos SPEC         relay outages: outage-at=10s,for=8s[,every=60s] or none
                       (default: one short outage at 10s for 8s); a losing
                       streak: drawdown-at=30s[,drawdown-for=10s] (the drawdown
                       guard halts bundle submission while it lasts)
  --listen ADDR        exporter address (default BOTWATCH_LISTEN or 127.0.0.1:9000)
  --bot-name NAME      value of the `bot` label on every series (default chimera)
  --block-time D       simulated block interval (default 250ms)
  --seed N             random seed (default: from the clock)
  --help               this text";

#[derive(Clone, Debug)]
pub(crate) struct Args {
    pub(crate) duration: Option<Duration>,
    pub(crate) chaos: Chaos,
    pub(crate) listen: Option<SocketAddr>,
    pub(crate) bot_name: String,
    pub(crate) block_time: Duration,
    pub(crate) seed: u64,
    pub(crate) help: bool,
}

impl Args {
    pub(crate) fn parse(mut words: impl Iterator<Item = String>) -> Result<Args, String> {
        let mut args = Args {
            duration: None,
            chaos: Chaos::default(),
            listen: None,
            bot_name: "chimera".to_owned(),
            block_time: Duration::from_millis(250),
            seed: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(7, |d| d.as_nanos() as u64),
            help: false,
        };
        while let Some(word) = words.next() {
            let (flag, inline) = match word.split_once('=') {
                Some((f, v)) if f.starts_with("--") && f != "--chaos" => {
                    (f.to_owned(), Some(v.to_owned()))
                }
                _ => (word.clone(), None),
            };
            let mut value = |name: &str| {
                inline
                    .clone()
                    .or_else(|| words.next())
                    .ok_or_else(|| format!("{name} needs a value"))
            };
            match flag.as_str() {
                "--duration" => args.duration = Some(duration(&value("--duration")?)?),
                "--chaos" => args.chaos = value("--chaos")?.parse()?,
                "--listen" => {
                    let text = value("--listen")?;
                    args.listen = Some(
                        text.parse()
                            .map_err(|_| format!("--listen {text:?} is not ip:port"))?,
                    );
                }
                "--bot-name" => args.bot_name = value("--bot-name")?,
                "--block-time" => args.block_time = duration(&value("--block-time")?)?,
                "--seed" => {
                    let text = value("--seed")?;
                    args.seed = text
                        .parse()
                        .map_err(|_| format!("--seed {text:?} is not a number"))?;
                }
                "--help" | "-h" => args.help = true,
                other => return Err(format!("unknown option {other:?}")),
            }
        }
        Ok(args)
    }
}

pub(crate) fn duration(text: &str) -> Result<Duration, String> {
    botwatch_duration(text)
        .ok_or_else(|| format!("{text:?} is not a duration; write it like 250ms, 30s or 5m"))
}

fn botwatch_duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| !c.is_ascii_digit() && c != '.')?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let seconds = match unit {
        "ms" => number / 1000.0,
        "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_option() {
        let words = [
            "--duration",
            "30s",
            "--chaos",
            "outage-at=5s,for=2s",
            "--listen=127.0.0.1:9100",
            "--seed",
            "9",
        ];
        let args = Args::parse(words.into_iter().map(String::from)).unwrap();
        assert_eq!(args.duration, Some(Duration::from_secs(30)));
        assert_eq!(args.listen, Some("127.0.0.1:9100".parse().unwrap()));
        assert_eq!(args.seed, 9);
        assert_eq!(args.chaos.to_string(), "outage at 5s for 2s");
        assert!(Args::parse(["--nope".to_owned()].into_iter()).is_err());
        assert!(Args::parse(["--duration".to_owned(), "soon".to_owned()].into_iter()).is_err());
    }
}
