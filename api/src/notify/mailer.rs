//! Sending one stored message: over SMTP with lettre (tokio, rustls), or, with no
//! `KEPU_SMTP_URL`, into the log.

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

use crate::config::Settings;
use crate::entity::notifications;

/// How long one SMTP conversation may take before it counts as a failure.
const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

/// Where messages go. Injected into the application state, so tests can point it anywhere.
#[derive(Clone)]
pub enum Mailer {
    /// No SMTP server configured: each message is written to the log (the recipient masked,
    /// the subject; never the body) and counts as sent.
    Log {
        /// The `From:` address.
        from: Mailbox,
    },
    /// An SMTP server.
    Smtp {
        /// The `From:` address.
        from: Mailbox,
        /// The pooled transport.
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// The server's password, to keep it out of stored errors.
        secret: Option<String>,
    },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Log { from } => write!(f, "Mailer::Log({from})"),
            Self::Smtp { from, .. } => write!(f, "Mailer::Smtp({from})"),
        }
    }
}

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFailure {
    /// The message can never be sent as stored (e.g. the address does not parse): park it now.
    pub permanent: bool,
    /// What went wrong, safe to store and show to administrators.
    pub message: String,
}

impl Mailer {
    /// The mailer the settings describe. An unusable `KEPU_SMTP_URL` or `KEPU_MAIL_FROM` stops
    /// the start with the variable named.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let from: Mailbox = settings
            .mail
            .from
            .parse()
            .map_err(|e| anyhow::anyhow!("KEPU_MAIL_FROM is not a valid address: {e}"))?;
        let Some(url) = &settings.smtp_url else {
            return Ok(Self::Log { from });
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("KEPU_SMTP_URL is not usable: {e}"))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let secret = url::Url::parse(url)
            .ok()
            .and_then(|u| u.password().map(str::to_owned))
            .filter(|p| !p.is_empty());
        Ok(Self::Smtp {
            from,
            transport,
            secret,
        })
    }

    /// Sends one stored message as multipart/alternative (plain text and HTML).
    pub async fn send(&self, row: &notifications::Model) -> Result<(), SendFailure> {
        let from = match self {
            Self::Log { from } | Self::Smtp { from, .. } => from.clone(),
        };
        let to: Mailbox = row.recipient.parse().map_err(|e| SendFailure {
            permanent: true,
            message: format!("the recipient address is not valid: {e}"),
        })?;
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(row.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                row.body_text.clone(),
                row.body_html.clone(),
            ))
            .map_err(|e| SendFailure {
                permanent: true,
                message: format!("the message could not be built: {e}"),
            })?;
        match self {
            Self::Log { .. } => {
                tracing::info!(
                    notification = %row.id,
                    to = %mask_email(&row.recipient),
                    subject = %row.subject,
                    "mail (no KEPU_SMTP_URL set, logged instead of sent)"
                );
                Ok(())
            }
            Self::Smtp {
                transport, secret, ..
            } => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| SendFailure {
                    permanent: false,
                    message: sanitise(&e.to_string(), secret.as_deref()),
                }),
        }
    }
}

/// An address as logs may show it: `w***@example.org`. Residents' addresses are personal data.
fn mask_email(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

/// An error message fit to store: no password, one line, at most 500 characters.
fn sanitise(message: &str, secret: Option<&str>) -> String {
    let mut text = message.replace(['\r', '\n'], " ");
    if let Some(secret) = secret {
        text = text.replace(secret, "***");
    }
    text.chars().take(500).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_errors_carry_no_password_and_stay_short() {
        let s = sanitise("auth failed for hunter2\r\nat server", Some("hunter2"));
        assert_eq!(s, "auth failed for ***  at server");
        assert_eq!(sanitise(&"x".repeat(900), None).len(), 500);
    }

    #[test]
    fn logged_addresses_are_masked() {
        assert_eq!(mask_email("wang.li@example.org"), "w***@example.org");
        assert_eq!(mask_email("nonsense"), "***");
    }

    #[tokio::test]
    async fn settings_choose_the_transport_and_refuse_bad_addresses() {
        let mut settings = Settings::for_tests("sqlite::memory:");
        assert!(matches!(
            Mailer::from_settings(&settings),
            Ok(Mailer::Log { .. })
        ));
        settings.smtp_url = Some("smtp://127.0.0.1:2525".into());
        assert!(matches!(
            Mailer::from_settings(&settings),
            Ok(Mailer::Smtp { .. })
        ));
        settings.mail.from = "not an address".into();
        assert!(Mailer::from_settings(&settings).is_err());
    }
}
