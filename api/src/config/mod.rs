//! Settings: built-in defaults, then an optional TOML file (`KEPU_CONFIG`), then `KEPU_*`
//! environment variables, each layer overriding the one before. With nothing set the service
//! runs locally on SQLite under `./data/`.

use anyhow::{Context, bail};
use chrono::Duration;
use chrono_tz::Tz;
use kepu_domain::sla::SlaPolicy;
use kepu_domain::volunteer::StarThresholds;
use serde::Deserialize;
use std::path::PathBuf;

mod proxies;

pub use proxies::TrustedProxies;

/// Where the service runs: `dev` tolerates missing secrets, `production` refuses them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    /// Local development and tests.
    Dev,
    /// A real deployment.
    Production,
}

/// Everything the service is configured with. Injected, never global, so tests can vary it.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// Address to listen on, e.g. `127.0.0.1:8080` (`:0` picks a free port).
    pub listen: String,
    /// Password for the `admin` account created on first start; random when unset.
    pub admin_password: Option<String>,
    /// HMAC secret for access tokens; required outside dev.
    pub jwt_secret: Option<String>,
    /// SMTP server URL; unset logs mail instead of sending it.
    pub smtp_url: Option<String>,
    /// Mail settings besides the server: sender, links, retries, worker and sweeper intervals.
    pub mail: MailSettings,
    /// Dev or production.
    pub environment: Environment,
    /// Deployment time zone: decides "today" and "this year".
    pub timezone: Tz,
    /// Public requests a minute per client; 0 switches limiting off.
    pub rate_limit: u32,
    /// How long each state may last.
    pub sla: SlaPolicy,
    /// Hours for one to five stars.
    pub star_thresholds: StarThresholds,
    /// Reference data to load into an empty database; `None` uses the built-in data file.
    pub data_file: Option<PathBuf>,
    /// Whether to load reference data into an empty database at all.
    pub load_defaults: bool,
    /// Largest pool of database connections (PostgreSQL; SQLite always uses one writer).
    pub max_connections: u32,
    /// How SQLite commits (`KEPU_SQLITE_SYNCHRONOUS`): `full` (the default) makes every
    /// acknowledged change survive power loss; `normal` may lose the last commits then.
    pub sqlite_synchronous: SqliteSynchronous,
    /// Emit logs as JSON (the default in production).
    pub json_logs: bool,
    /// The organisation named on certificates; `None` uses the data file's
    /// `[banner] name_zh` + 科学技术协会.
    pub issuer: Option<String>,
    /// API keys Open311 clients may post requests with (`KEPU_OPEN311_API_KEYS`, comma
    /// separated); empty refuses every Open311 post.
    pub open311_api_keys: Vec<String>,
    /// Reverse proxies whose `X-Forwarded-For` is believed (`KEPU_TRUSTED_PROXIES`); empty
    /// believes nobody and keys every limit on the peer address.
    pub trusted_proxies: TrustedProxies,
}

/// How durable SQLite's commits are (both in WAL mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SqliteSynchronous {
    /// Nothing acknowledged is lost: every change is answered only once the log holding it is
    /// on disk. Concurrent commits share one flush (group commit, `db::group_sync`).
    Full,
    /// Nobody waits for the disk but checkpoints: a power cut can lose the last commits
    /// (never corrupt the database).
    Normal,
}

/// How mail is sent and how often the background jobs run.
#[derive(Clone, Debug)]
pub struct MailSettings {
    /// `From:` of every message (`KEPU_MAIL_FROM`).
    pub from: String,
    /// The public address of the service, for links in messages (`KEPU_PUBLIC_URL`), without
    /// a trailing slash; defaults to `http://` + `KEPU_LISTEN`.
    pub public_url: String,
    /// Attempts before a message is parked (`KEPU_MAIL_MAX_ATTEMPTS`, at least 1).
    pub max_attempts: u32,
    /// Seconds between outbox deliveries (`KEPU_MAIL_INTERVAL_SECS`); 0 runs no worker.
    pub interval_secs: u64,
    /// Seconds between SLA sweeps (`KEPU_SWEEP_INTERVAL_SECS`); 0 runs no sweeper.
    pub sweep_interval_secs: u64,
}

impl MailSettings {
    /// The sender when none is configured.
    pub const DEFAULT_FROM: &'static str = "科普派单 <noreply@kepu.invalid>";
}

/// The optional TOML file: the same names as the variables, lower-case, without `KEPU_`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    database_url: Option<String>,
    listen: Option<String>,
    admin_password: Option<String>,
    jwt_secret: Option<String>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    public_url: Option<String>,
    mail_max_attempts: Option<u32>,
    mail_interval_secs: Option<u64>,
    sweep_interval_secs: Option<u64>,
    env: Option<String>,
    timezone: Option<String>,
    rate_limit: Option<u32>,
    sla_submitted_hours: Option<i64>,
    sla_dispatched_hours: Option<i64>,
    sla_accepted_hours: Option<i64>,
    sla_claimed_hours: Option<i64>,
    sla_completed_hours: Option<i64>,
    star_thresholds: Option<[f64; 5]>,
    data_file: Option<PathBuf>,
    load_defaults: Option<bool>,
    max_connections: Option<u32>,
    sqlite_synchronous: Option<String>,
    log_format: Option<String>,
    open311_api_keys: Option<String>,
    issuer: Option<String>,
    trusted_proxies: Option<String>,
}

impl Settings {
    /// Reads the settings from the process environment (and the file it names).
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup` (a variable's value by name), so tests need not
    /// touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let file = match lookup("KEPU_CONFIG") {
            Some(path) => {
                let text =
                    std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
                toml::from_str::<FileSettings>(&text).with_context(|| format!("parsing {path}"))?
            }
            None => FileSettings::default(),
        };
        let var = |name: &str| lookup(&format!("KEPU_{name}")).filter(|v| !v.is_empty());
        let parsed = |name: &str| -> anyhow::Result<Option<i64>> {
            var(name)
                .map(|v| {
                    v.parse()
                        .with_context(|| format!("KEPU_{name} must be a number"))
                })
                .transpose()
        };

        let environment = match var("ENV").or(file.env).as_deref() {
            None | Some("dev") | Some("development") => Environment::Dev,
            Some("production") | Some("prod") => Environment::Production,
            Some(other) => bail!("KEPU_ENV must be `dev` or `production`, not `{other}`"),
        };
        let timezone_name = var("TIMEZONE")
            .or(file.timezone)
            .unwrap_or_else(|| "Asia/Shanghai".into());
        let timezone: Tz = timezone_name
            .parse()
            .map_err(|_| anyhow::anyhow!("unknown KEPU_TIMEZONE `{timezone_name}`"))?;
        let rate_limit = match var("RATE_LIMIT") {
            Some(v) => v
                .parse()
                .context("KEPU_RATE_LIMIT must be a whole number")?,
            None => file.rate_limit.unwrap_or(60),
        };
        let hours =
            |name: &str, from_file: Option<i64>, default: Duration| -> anyhow::Result<Duration> {
                let h = parsed(name)?.or(from_file);
                match h {
                    Some(h) if h > 0 => Ok(Duration::hours(h)),
                    Some(_) => bail!("KEPU_{name} must be positive"),
                    None => Ok(default),
                }
            };
        let d = SlaPolicy::default();
        let sla = SlaPolicy {
            submitted: hours("SLA_SUBMITTED_HOURS", file.sla_submitted_hours, d.submitted)?,
            dispatched: hours(
                "SLA_DISPATCHED_HOURS",
                file.sla_dispatched_hours,
                d.dispatched,
            )?,
            accepted: hours("SLA_ACCEPTED_HOURS", file.sla_accepted_hours, d.accepted)?,
            claimed: hours("SLA_CLAIMED_HOURS", file.sla_claimed_hours, d.claimed)?,
            completed: hours("SLA_COMPLETED_HOURS", file.sla_completed_hours, d.completed)?,
        };
        let star_thresholds = match var("STAR_THRESHOLDS") {
            Some(v) => {
                let numbers: Vec<f64> = v
                    .split(',')
                    .map(|s| s.trim().parse::<f64>())
                    .collect::<Result<_, _>>()
                    .context("KEPU_STAR_THRESHOLDS must be five numbers separated by commas")?;
                let five: [f64; 5] = numbers.try_into().map_err(|_| {
                    anyhow::anyhow!("KEPU_STAR_THRESHOLDS needs exactly five numbers")
                })?;
                StarThresholds::new(five)?
            }
            None => match file.star_thresholds {
                Some(five) => StarThresholds::new(five)?,
                None => StarThresholds::default(),
            },
        };
        let load_defaults = match var("LOAD_DEFAULTS") {
            Some(v) => matches!(v.as_str(), "1" | "true" | "yes"),
            None => file.load_defaults.unwrap_or(true),
        };
        let max_connections = parsed("MAX_CONNECTIONS")?
            .map(|n| u32::try_from(n).context("KEPU_MAX_CONNECTIONS out of range"))
            .transpose()?
            .or(file.max_connections)
            .unwrap_or(10);
        let sqlite_synchronous = match var("SQLITE_SYNCHRONOUS")
            .or(file.sqlite_synchronous)
            .as_deref()
        {
            None | Some("full") => SqliteSynchronous::Full,
            Some("normal") => SqliteSynchronous::Normal,
            Some(other) => {
                bail!("KEPU_SQLITE_SYNCHRONOUS must be `full` or `normal`, not `{other}`")
            }
        };
        let json_logs = match var("LOG_FORMAT").or(file.log_format).as_deref() {
            Some("json") => true,
            Some("text") => false,
            _ => environment == Environment::Production,
        };

        let listen = var("LISTEN")
            .or(file.listen)
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        let count = |name: &str, from_file: Option<u64>, default: u64| -> anyhow::Result<u64> {
            match var(name) {
                Some(v) => v
                    .parse()
                    .with_context(|| format!("KEPU_{name} must be a whole number")),
                None => Ok(from_file.unwrap_or(default)),
            }
        };
        // Links in mail and the verification address printed on certificates come from here,
        // never from request headers (a forged `X-Forwarded-Host` must not reach a certificate).
        let public_url = match var("PUBLIC_URL").or(file.public_url) {
            Some(url) if url.starts_with("https://") || url.starts_with("http://") => url,
            Some(_) => bail!("KEPU_PUBLIC_URL must start with https:// or http://"),
            None if environment == Environment::Production => bail!(
                "KEPU_PUBLIC_URL must be set in production (e.g. https://kepu.example.org): \
                 certificates print it as their verification address"
            ),
            None => format!("http://{listen}"),
        };
        let mail = MailSettings {
            from: var("MAIL_FROM")
                .or(file.mail_from)
                .unwrap_or_else(|| MailSettings::DEFAULT_FROM.into()),
            public_url: public_url.trim_end_matches('/').to_owned(),
            max_attempts: u32::try_from(count(
                "MAIL_MAX_ATTEMPTS",
                file.mail_max_attempts.map(u64::from),
                8,
            )?)
            .context("KEPU_MAIL_MAX_ATTEMPTS out of range")?
            .max(1),
            interval_secs: count("MAIL_INTERVAL_SECS", file.mail_interval_secs, 10)?,
            sweep_interval_secs: count("SWEEP_INTERVAL_SECS", file.sweep_interval_secs, 60)?,
        };

        let settings = Self {
            database_url: var("DATABASE_URL")
                .or(file.database_url)
                .unwrap_or_else(|| "sqlite://data/kepu.db?mode=rwc".into()),
            listen,
            admin_password: var("ADMIN_PASSWORD").or(file.admin_password),
            jwt_secret: var("JWT_SECRET").or(file.jwt_secret),
            smtp_url: var("SMTP_URL").or(file.smtp_url),
            mail,
            environment,
            timezone,
            rate_limit,
            sla,
            star_thresholds,
            data_file: var("DATA_FILE").map(PathBuf::from).or(file.data_file),
            load_defaults,
            max_connections,
            sqlite_synchronous,
            json_logs,
            issuer: var("ISSUER").or(file.issuer),
            open311_api_keys: var("OPEN311_API_KEYS")
                .or(file.open311_api_keys)
                .map(|v| {
                    v.split(',')
                        .map(|k| k.trim().to_owned())
                        .filter(|k| !k.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            trusted_proxies: TrustedProxies::parse(
                &var("TRUSTED_PROXIES")
                    .or(file.trusted_proxies)
                    .unwrap_or_default(),
            )?,
        };
        settings.check()?;
        Ok(settings)
    }

    /// Refuses settings that are unsafe outside development.
    fn check(&self) -> anyhow::Result<()> {
        if self.environment == Environment::Production {
            match &self.jwt_secret {
                None => bail!("KEPU_JWT_SECRET must be set in production"),
                Some(s) if s.len() < 32 => {
                    bail!("KEPU_JWT_SECRET must be at least 32 characters in production")
                }
                Some(s)
                    if s.to_lowercase().contains("secret")
                        || s.to_lowercase().contains("change") =>
                {
                    bail!("KEPU_JWT_SECRET looks like a placeholder; generate a random one")
                }
                Some(_) => {}
            }
        }
        if let Some(url) = &self.smtp_url
            && !(url.starts_with("smtp://") || url.starts_with("smtps://"))
        {
            bail!("KEPU_SMTP_URL must start with smtp:// or smtps://");
        }
        if !(self.database_url.starts_with("sqlite:") || self.database_url.starts_with("postgres"))
        {
            bail!("KEPU_DATABASE_URL must start with sqlite: or postgres:");
        }
        Ok(())
    }

    /// Settings for tests and tools: dev mode, the given database, a free port, no rate limit.
    pub fn for_tests(database_url: &str) -> Self {
        Self {
            database_url: database_url.to_owned(),
            listen: "127.0.0.1:0".into(),
            admin_password: Some("admin-password-for-tests".into()),
            jwt_secret: Some("test-secret-that-is-long-enough-for-hs256-keys".into()),
            smtp_url: None,
            mail: MailSettings {
                from: MailSettings::DEFAULT_FROM.into(),
                public_url: "http://127.0.0.1:8080".into(),
                max_attempts: 8,
                // Tests drive the outbox worker and the sweeper themselves, with their clock.
                interval_secs: 0,
                sweep_interval_secs: 0,
            },
            environment: Environment::Dev,
            timezone: chrono_tz::Asia::Shanghai,
            rate_limit: 0,
            sla: SlaPolicy::default(),
            star_thresholds: StarThresholds::default(),
            data_file: None,
            load_defaults: true,
            max_connections: 10,
            // As in production: every answer that changed something waits for its group's
            // flush of the log, so the tests run the path a deployment runs.
            sqlite_synchronous: SqliteSynchronous::Full,
            json_logs: false,
            issuer: None,
            open311_api_keys: Vec::new(),
            trusted_proxies: TrustedProxies::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::net::IpAddr;

    fn from(vars: &[(&str, &str)]) -> anyhow::Result<Settings> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_run_locally_on_sqlite() -> anyhow::Result<()> {
        let s = from(&[])?;
        assert!(s.database_url.starts_with("sqlite://data/"));
        assert_eq!(s.listen, "127.0.0.1:8080");
        assert_eq!(s.environment, Environment::Dev);
        assert_eq!(s.timezone, chrono_tz::Asia::Shanghai);
        assert_eq!(s.smtp_url, None);
        assert_eq!(s.mail.public_url, "http://127.0.0.1:8080");
        assert_eq!(s.mail.max_attempts, 8);
        assert_eq!((s.mail.interval_secs, s.mail.sweep_interval_secs), (10, 60));
        Ok(())
    }

    #[test]
    fn open311_keys_are_comma_separated_and_none_by_default() -> anyhow::Result<()> {
        assert!(from(&[])?.open311_api_keys.is_empty());
        let s = from(&[("KEPU_OPEN311_API_KEYS", " key-one, ,key-two ")])?;
        assert_eq!(s.open311_api_keys, vec!["key-one", "key-two"]);
        Ok(())
    }

    #[test]
    fn production_refuses_missing_short_or_placeholder_secrets() {
        assert!(from(&[("KEPU_ENV", "production")]).is_err());
        assert!(from(&[("KEPU_ENV", "production"), ("KEPU_JWT_SECRET", "short")]).is_err());
        assert!(
            from(&[
                ("KEPU_ENV", "production"),
                ("KEPU_JWT_SECRET", "change-me-change-me-change-me-change-me")
            ])
            .is_err()
        );
        assert!(
            from(&[
                ("KEPU_ENV", "production"),
                ("KEPU_JWT_SECRET", "q8Vt2LzP0xN4rW7yB1mC6kD9fH3jS5aU"),
                ("KEPU_PUBLIC_URL", "https://kepu.example.org/"),
            ])
            .is_ok()
        );
    }

    #[test]
    fn production_needs_the_public_address_and_dev_defaults_to_the_listen_address() {
        let err = from(&[
            ("KEPU_ENV", "production"),
            ("KEPU_JWT_SECRET", "q8Vt2LzP0xN4rW7yB1mC6kD9fH3jS5aU"),
        ])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(err.contains("KEPU_PUBLIC_URL"), "{err}");
        let s = from(&[("KEPU_LISTEN", "0.0.0.0:9000")]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.mail.public_url, "http://0.0.0.0:9000");
        let s = from(&[("KEPU_PUBLIC_URL", "https://kepu.example.org/")])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.mail.public_url, "https://kepu.example.org");
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks_and_anything_else_stops_the_start() {
        assert!(
            from(&[])
                .map(|s| s.trusted_proxies.is_empty())
                .unwrap_or(false)
        );
        let s = from(&[(
            "KEPU_TRUSTED_PROXIES",
            " 10.0.0.0/8, 192.168.1.7 ,fd00::/8 ",
        )])
        .unwrap_or_else(|e| panic!("{e}"));
        let ip = |s: &str| s.parse::<IpAddr>().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        assert!(s.trusted_proxies.contains(ip("10.200.3.4")));
        assert!(s.trusted_proxies.contains(ip("192.168.1.7")));
        assert!(!s.trusted_proxies.contains(ip("192.168.1.8")));
        assert!(s.trusted_proxies.contains(ip("fd12::1")));
        assert!(
            s.trusted_proxies.contains(ip("::ffff:10.1.1.1")),
            "IPv4-mapped"
        );
        assert!(!s.trusted_proxies.contains(ip("11.0.0.1")));
        for bad in [
            "10.0.0.0/33",
            "proxy.local",
            "10.0.0.0/x",
            "::1/129",
            "1.2.3",
        ] {
            let err = from(&[("KEPU_TRUSTED_PROXIES", bad)])
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                err.contains("KEPU_TRUSTED_PROXIES") && err.contains(bad),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn bad_values_are_refused_with_the_variable_named() {
        for (name, value) in [
            ("KEPU_TIMEZONE", "Mars/Base"),
            ("KEPU_RATE_LIMIT", "many"),
            ("KEPU_ENV", "staging"),
            ("KEPU_SMTP_URL", "http://mail.example.org"),
            ("KEPU_MAIL_MAX_ATTEMPTS", "many"),
            ("KEPU_SWEEP_INTERVAL_SECS", "-1"),
            ("KEPU_PUBLIC_URL", "kepu.example.org"),
            ("KEPU_TRUSTED_PROXIES", "10.0.0.0/99"),
        ] {
            let Err(err) = from(&[(name, value)]) else {
                panic!("{name}={value} was accepted");
            };
            let err = err.to_string();
            assert!(err.contains(name), "{name}: {err}");
        }
    }
}
