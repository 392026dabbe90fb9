//! Where the outbox worker hands messages: SMTP, the log (no `EMAIL_HOST`), or lettre's stub transport
//! (tests).

use std::time::Duration;

use lettre::{
    AsyncTransport, Message,
    address::Envelope,
    message::{Mailbox, header::ContentType},
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

/// A slow or silent server must not stall the worker for long.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);
const MECHANISMS: &[Mechanism] = &[Mechanism::Plain, Mechanism::Login];

#[derive(Clone, Debug)]
pub enum Transport {
    /// Writes each message to the log instead of sending it.
    Log,
    Smtp(Smtp),
    /// Records messages in memory (tests).
    Stub(AsyncStubTransport),
}

impl Transport {
    pub fn from_config(config: Option<&SmtpConfig>) -> Self {
        match config {
            None => Self::Log,
            Some(c) => Self::Smtp(Smtp::new(c)),
        }
    }

    pub async fn send(&self, email: &OutgoingEmail<'_>) -> anyhow::Result<()> {
        match self {
            Self::Log => {
                // The HTML as written (not the transfer-encoded message), so its link can be copied.
                tracing::info!(
                    from = %email.from, to = email.to, subject = email.subject,
                    "e-mail (EMAIL_HOST is not set, so it is logged instead of sent):\n{}",
                    email.html
                );
                Ok(())
            }
            Self::Smtp(smtp) => {
                let message = email.message()?;
                smtp.send(message.envelope(), &message.formatted()).await
            }
            Self::Stub(stub) => Ok(stub.send(email.message()?).await?),
        }
    }
}

/// One HTML e-mail.
#[derive(Debug, Clone, Copy)]
pub struct OutgoingEmail<'a> {
    pub from: &'a Mailbox,
    pub to: &'a str,
    pub subject: &'a str,
    pub html: &'a str,
}

impl OutgoingEmail<'_> {
    fn message(&self) -> anyhow::Result<Message> {
        Ok(Message::builder()
            .from(self.from.clone())
            .to(self.to.parse()?)
            .subject(self.subject)
            .header(ContentType::TEXT_HTML)
            .body(self.html.to_owned())?)
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
                    Some(Credentials::new(user.clone(), password.clone()))
                }
                _ => None,
            },
        }
    }

    async fn send(&self, envelope: &Envelope, raw: &[u8]) -> anyhow::Result<()> {
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
    ) -> anyhow::Result<()> {
        if self.starttls {
            // `EMAIL_USE_TLS=true` means TLS is required: a server without STARTTLS is an error,
            // never a silent fall-back to plain text.
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
