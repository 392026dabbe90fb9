//! Where the outbox worker hands messages: SMTP, the log (no `EMAIL_HOST`), or lettre's stub transport
//! (tests).

use std::time::Duration;

use lettre::{
    AsyncTransport, Message,
    address::Envelope,
    message::{
        Mailbox,
        header::{ContentType, HeaderName, HeaderValue},
    },
    transport::{
        smtp::{
            authentication::{Credentials, Mechanism},
            client::{AsyncSmtpConnection, TlsParameters},
            extension::ClientId,
        },
        stub::AsyncStubTransport,
    },
};

use crate::config::SmtpConfig;

/// RFC 2369's `List-Unsubscribe` and RFC 8058's `List-Unsubscribe-Post`.
const LIST_UNSUBSCRIBE: HeaderName = HeaderName::new_from_ascii_str("List-Unsubscribe");
const LIST_UNSUBSCRIBE_POST: HeaderName = HeaderName::new_from_ascii_str("List-Unsubscribe-Post");

/// A slow or silent server must not stall the worker for long: each SMTP command waits at most
/// this long...
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);
/// ...and a whole attempt (connect, STARTTLS, AUTH, the message) at most this long. The outbox lease
/// is derived from it, so no attempt outlives its claim.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(60);
const MECHANISMS: &[Mechanism] = &[Mechanism::Plain, Mechanism::Login];

#[derive(Clone, Debug)]
pub enum Transport {
    /// Writes one line per message to the log instead of sending it (no `EMAIL_HOST`).
    Log {
        /// `EMAIL_LOG_LINKS`: show links whole, token included (development).
        show_tokens: bool,
    },
    Smtp(Smtp),
    /// Records messages in memory (tests).
    Stub(AsyncStubTransport),
}

/// What became of a message handed to a transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Written to the log: nothing left the machine.
    Logged,
}

/// Why a message did not go out, and so whether trying again can help.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The server may take it later (4xx, connection trouble, a timeout).
    #[error("{0:#}")]
    Transient(anyhow::Error),
    /// It never will (5xx: unknown recipient, rejected content; or a message that cannot be built).
    #[error("{0:#}")]
    Permanent(anyhow::Error),
}

impl From<lettre::transport::smtp::Error> for SendError {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        if e.is_permanent() {
            Self::Permanent(e.into())
        } else {
            Self::Transient(e.into())
        }
    }
}

impl Transport {
    pub fn from_config(config: Option<&SmtpConfig>, show_tokens: bool) -> Self {
        match config {
            None => Self::Log { show_tokens },
            Some(c) => Self::Smtp(Smtp::new(c)),
        }
    }

    pub async fn send(&self, email: &OutgoingEmail<'_>) -> Result<Delivery, SendError> {
        match self {
            Self::Log { show_tokens } => {
                tracing::info!(
                    outbox_id = email.outbox_id,
                    "{}",
                    log_line(email, *show_tokens)
                );
                Ok(Delivery::Logged)
            }
            Self::Smtp(smtp) => {
                let message = email.message()?;
                let raw = message.formatted();
                let attempt = smtp.send(message.envelope(), &raw);
                match tokio::time::timeout(SEND_TIMEOUT, attempt).await {
                    Ok(result) => result.map(|()| Delivery::Sent),
                    Err(_) => Err(SendError::Transient(anyhow::anyhow!(
                        "the SMTP exchange took longer than {SEND_TIMEOUT:?}"
                    ))),
                }
            }
            Self::Stub(stub) => match stub.send(email.message()?).await {
                Ok(()) => Ok(Delivery::Sent),
                Err(e) => Err(SendError::Transient(e.into())),
            },
        }
    }
}

/// The one log line of an e-mail that is not sent: who, what, the link as a browser takes it (not
/// HTML-escaped), and where the whole message is. The link's token is a credential (it activates the
/// account or resets its password), so it is hidden unless `show_tokens`.
pub fn log_line(email: &OutgoingEmail<'_>, show_tokens: bool) -> String {
    let (link, hidden) = match email.link {
        None => ("-".to_owned(), false),
        Some(link) if show_tokens => (link.to_owned(), false),
        Some(link) => {
            let redacted = redact_token(link);
            let hidden = redacted != link;
            (redacted, hidden)
        }
    };
    let hint = if hidden {
        "; EMAIL_LOG_LINKS=true logs links whole"
    } else {
        ""
    };
    format!(
        "e-mail not sent: EMAIL_HOST is not set; to={} subject={:?} link={link} \
         (the whole message is stored in email_outbox id={}{hint})",
        email.to, email.subject, email.outbox_id
    )
}

/// `link` with the value of its `token` query parameter replaced.
fn redact_token(link: &str) -> String {
    let Some((base, query)) = link.split_once('?') else {
        return link.to_owned();
    };
    let query: Vec<&str> = query
        .split('&')
        .map(|pair| {
            if pair.starts_with("token=") {
                "token=<redacted>"
            } else {
                pair
            }
        })
        .collect();
    format!("{base}?{}", query.join("&"))
}

/// One HTML e-mail, as the outbox hands it to a transport.
#[derive(Debug, Clone, Copy)]
pub struct OutgoingEmail<'a> {
    /// Its row in `email_outbox`.
    pub outbox_id: i32,
    pub from: &'a Mailbox,
    pub to: &'a str,
    pub subject: &'a str,
    pub html: &'a str,
    /// The link in the body, for the log (`None` on rows older than the column).
    pub link: Option<&'a str>,
    /// `<...@...>`, the same on every attempt of the message.
    pub message_id: &'a str,
    /// A notification e-mail's one-click unsubscribe URL: sent as RFC 8058's two headers.
    pub list_unsubscribe: Option<&'a str>,
}

impl OutgoingEmail<'_> {
    /// The RFC 5322 message. A message that cannot be built never will be: that is permanent.
    fn message(&self) -> Result<Message, SendError> {
        let build = || -> anyhow::Result<Message> {
            let mut builder = Message::builder()
                .message_id(Some(self.message_id.to_owned()))
                .from(self.from.clone())
                .to(self.to.parse()?)
                .subject(self.subject)
                .header(ContentType::TEXT_HTML);
            if let Some(url) = self.list_unsubscribe {
                builder = builder
                    .raw_header(HeaderValue::new(LIST_UNSUBSCRIBE, format!("<{url}>")))
                    .raw_header(HeaderValue::new(
                        LIST_UNSUBSCRIBE_POST,
                        "List-Unsubscribe=One-Click".to_owned(),
                    ));
            }
            Ok(builder.body(self.html.to_owned())?)
        };
        build().map_err(SendError::Permanent)
    }
}

/// One SMTP connection per message: mail is rare here, and a fresh connection never hands the worker
/// a half-dead pooled one after an outage.
#[derive(Clone)]
pub struct Smtp {
    host: String,
    port: u16,
    starttls: bool,
    credentials: Option<Credentials>,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smtp")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("starttls", &self.starttls)
            .field("auth", &self.credentials.is_some())
            .finish()
    }
}

impl Smtp {
    pub fn new(config: &SmtpConfig) -> Self {
        Self {
            host: config.host.clone(),
            port: config.port,
            starttls: config.use_tls,
            credentials: match (&config.user, &config.password) {
                (Some(user), Some(password)) => {
                    use secrecy::ExposeSecret;
                    Some(Credentials::new(
                        user.clone(),
                        password.expose_secret().to_owned(),
                    ))
                }
                _ => None,
            },
        }
    }

    async fn send(&self, envelope: &Envelope, raw: &[u8]) -> Result<(), SendError> {
        let hello = ClientId::default();
        let mut conn = AsyncSmtpConnection::connect_tokio1(
            (self.host.as_str(), self.port),
            Some(SMTP_TIMEOUT),
            &hello,
            None,
            None,
        )
        .await?;
        let result = self.deliver(&mut conn, &hello, envelope, raw).await;
        match &result {
            Ok(()) => {
                let _ = conn.quit().await;
            }
            Err(_) => conn.abort().await,
        }
        result
    }

    async fn deliver(
        &self,
        conn: &mut AsyncSmtpConnection,
        hello: &ClientId,
        envelope: &Envelope,
        raw: &[u8],
    ) -> Result<(), SendError> {
        if self.starttls {
            // `EMAIL_USE_TLS=true` means TLS is required: a server without STARTTLS is an error,
            // never a silent fall-back to plain text. (Transient: the server may be fixed.)
            conn.starttls(TlsParameters::new(self.host.clone())?, hello)
                .await?;
        }
        // The contract: AUTH when the server offers it. Servers without AUTH (local relays, capture
        // tools) still get the mail even when EMAIL_HOST_USER is set as the sender address.
        if let Some(credentials) = &self.credentials
            && conn.server_info().get_auth_mechanism(MECHANISMS).is_some()
        {
            conn.auth(MECHANISMS, credentials).await?;
        }
        conn.send(envelope, raw).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email<'a>(from: &'a Mailbox, link: Option<&'a str>) -> OutgoingEmail<'a> {
        OutgoingEmail {
            outbox_id: 7,
            from,
            to: "new@example.com",
            subject: "Account Activation",
            html: "<p>line one</p>\n<p>line two</p>",
            link,
            message_id: "<abc@theater.example>",
            list_unsubscribe: None,
        }
    }

    const LINK: &str =
        "http://127.0.0.1:8000/accounts/activate?email=new%40example.com&token=S3cretT0ken";

    #[test]
    fn a_logged_email_is_one_plain_line_without_its_token() {
        let from: Mailbox = "theater@localhost".parse().unwrap();
        let line = log_line(&email(&from, Some(LINK)), false);
        assert_eq!(
            line,
            "e-mail not sent: EMAIL_HOST is not set; to=new@example.com subject=\"Account Activation\" \
             link=http://127.0.0.1:8000/accounts/activate?email=new%40example.com&token=<redacted> \
             (the whole message is stored in email_outbox id=7; EMAIL_LOG_LINKS=true logs links whole)"
        );
        assert!(!line.contains('\n') && !line.contains("&amp;") && !line.contains("S3cret"));
    }

    #[test]
    fn the_development_setting_logs_the_link_whole() {
        let from: Mailbox = "theater@localhost".parse().unwrap();
        let line = log_line(&email(&from, Some(LINK)), true);
        assert!(line.contains(&format!("link={LINK} ")), "{line}");
        assert!(!line.contains("EMAIL_LOG_LINKS"), "{line}");
    }

    #[test]
    fn links_without_a_token_are_logged_as_they_are() {
        let from: Mailbox = "theater@localhost".parse().unwrap();
        let login = "http://127.0.0.1:8000/accounts/login";
        let line = log_line(&email(&from, Some(login)), false);
        assert!(line.contains(&format!("link={login} (")), "{line}");
        assert!(!line.contains("EMAIL_LOG_LINKS"), "{line}");
        assert!(log_line(&email(&from, None), false).contains("link=- ("));
    }

    #[test]
    fn the_message_carries_the_given_message_id() {
        let from: Mailbox = "theater@localhost".parse().unwrap();
        let raw = String::from_utf8(email(&from, None).message().unwrap().formatted()).unwrap();
        assert!(
            raw.lines()
                .any(|l| l == "Message-ID: <abc@theater.example>"),
            "{raw}"
        );
    }

    #[test]
    fn notification_mail_carries_the_one_click_unsubscribe_headers() {
        let from: Mailbox = "theater@localhost".parse().unwrap();
        let url = "https://theater.example/notifications/unsubscribe?token=1-replies-ab";
        let plain = String::from_utf8(email(&from, None).message().unwrap().formatted()).unwrap();
        assert!(!plain.contains("List-Unsubscribe"), "{plain}");
        let notification = OutgoingEmail {
            list_unsubscribe: Some(url),
            ..email(&from, None)
        };
        let raw = String::from_utf8(notification.message().unwrap().formatted()).unwrap();
        assert!(
            raw.lines()
                .any(|l| l == format!("List-Unsubscribe: <{url}>")),
            "{raw}"
        );
        assert!(
            raw.lines()
                .any(|l| l == "List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
            "{raw}"
        );
    }

    #[test]
    fn a_message_that_cannot_be_built_is_a_permanent_failure() {
        let from: Mailbox = "theater@localhost".parse().unwrap();
        let bad = OutgoingEmail {
            to: "not an address",
            ..email(&from, None)
        };
        assert!(matches!(bad.message(), Err(SendError::Permanent(_))));
    }
}
