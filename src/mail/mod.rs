//! E-mail that is never lost. A change that owes someone an e-mail writes the rendered message to the
//! `email_outbox` table in its own database transaction ([`Mail::enqueue`]); a background worker
//! ([`outbox::run_worker`], or [`outbox::try_execute_task`] in tests) sends it over SMTP later, retrying
//! with exponential back-off until it goes out. So an HTTP response never waits for SMTP, an SMTP
//! outage only delays mail, and a message whose change rolled back is never sent.

pub mod outbox;
pub mod templates;
pub mod transport;

use std::time::Duration;

use lettre::message::Mailbox;
use sea_orm::ConnectionTrait;
use tokio::sync::Notify;

pub use self::{
    outbox::{Backoff, ExecutionOutcome, NewMessage, try_execute_task},
    templates::{EmailKind, EmailTemplates, NotificationMail},
    transport::Transport,
};
use crate::config::Config;

/// The sender when `EMAIL_HOST_USER` is not an address.
const FALLBACK_FROM: &str = "theater@localhost";

/// Where each e-mail's link points, below `APP_BASE_URL`: the HTML pages (`accounts::pages`) serve
/// these paths.
pub mod links {
    /// The activation form (`?email=…&token=…`).
    pub const ACTIVATE_PATH: &str = "/accounts/activate";
    /// The new-password form (`?email=…&token=…`).
    pub const RESET_PASSWORD_PATH: &str = "/accounts/reset-password";
    /// The sign-in page, linked from the "done" e-mails.
    pub const LOGIN_PATH: &str = "/accounts/login";
}

/// An e-mail a change owes, with what its link needs.
#[derive(Clone, Copy, Debug)]
pub enum Notice<'a> {
    Activation { token: &'a str },
    ActivationComplete,
    PasswordReset { token: &'a str },
    PasswordResetComplete,
}

impl Notice<'_> {
    pub fn kind(self) -> EmailKind {
        match self {
            Self::Activation { .. } => EmailKind::Activation,
            Self::ActivationComplete => EmailKind::ActivationComplete,
            Self::PasswordReset { .. } => EmailKind::PasswordReset,
            Self::PasswordResetComplete => EmailKind::PasswordResetComplete,
        }
    }
}

/// Everything the service needs to write and deliver e-mail.
#[derive(Debug)]
pub struct Mail {
    templates: EmailTemplates,
    base_url: String,
    from: Mailbox,
    transport: Transport,
    backoff: Backoff,
    /// The right-hand side of `Message-ID`s: the host of `APP_BASE_URL`, which names this service.
    message_id_domain: String,
    /// Wakes the worker right after a commit, so mail leaves at once instead of at the next poll.
    wake: Notify,
}

impl Mail {
    /// Templates from `EMAIL_TEMPLATES_DIR` over the built-in ones, SMTP from `EMAIL_*` (the log
    /// without `EMAIL_HOST`).
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let templates = EmailTemplates::load(config.email_templates_dir.as_deref())?;
        let from = config
            .email
            .as_ref()
            .and_then(|smtp| smtp.user.as_deref())
            .and_then(|user| match user.parse::<Mailbox>() {
                Ok(mailbox) => Some(mailbox),
                Err(e) => {
                    tracing::warn!(
                        "EMAIL_HOST_USER {user:?} is not an e-mail address ({e}); mail is sent from {FALLBACK_FROM}"
                    );
                    None
                }
            })
            .map_or_else(|| FALLBACK_FROM.parse(), Ok)?;
        let message_id_domain = url::Url::parse(&config.app_base_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "localhost".to_owned());
        Ok(Self {
            templates,
            base_url: config.app_base_url.clone(),
            from,
            transport: Transport::from_config(config.email.as_ref(), config.email_log_links),
            backoff: Backoff::default(),
            message_id_domain,
            wake: Notify::new(),
        })
    }

    /// The same, delivering through `transport` (tests use lettre's stub transport).
    pub fn with_transport(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self
    }

    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    pub fn from_address(&self) -> &Mailbox {
        &self.from
    }

    pub fn backoff(&self) -> Backoff {
        self.backoff
    }

    pub fn message_id_domain(&self) -> &str {
        &self.message_id_domain
    }

    /// Renders `notice` for `recipient`, with the `Message-ID` every attempt to send it will carry.
    pub fn render(&self, recipient: &str, notice: Notice<'_>) -> anyhow::Result<NewMessage> {
        let kind = notice.kind();
        let link = self.link(recipient, notice);
        let html_body = self.templates.render(kind, recipient, &link)?;
        Ok(NewMessage {
            recipient: recipient.to_owned(),
            subject: kind.subject().to_owned(),
            html_body,
            link,
            message_id: self.new_message_id(),
            list_unsubscribe: None,
        })
    }

    /// Renders `notice` for `recipient` and writes it to the outbox through `db`, which should be the
    /// transaction of the change that causes it.
    pub async fn enqueue(
        &self,
        db: &impl ConnectionTrait,
        recipient: &str,
        notice: Notice<'_>,
    ) -> anyhow::Result<()> {
        let message = self.render(recipient, notice)?;
        outbox::insert(db, message, chrono::Utc::now()).await?;
        Ok(())
    }

    /// Renders a notification e-mail and writes it to the outbox through `db` (the transaction of
    /// the reply or like that causes it), with its one-click unsubscribe URL for the RFC 8058
    /// headers.
    pub async fn enqueue_notification(
        &self,
        db: &impl ConnectionTrait,
        kind: EmailKind,
        mail: &NotificationMail<'_>,
    ) -> anyhow::Result<()> {
        let message = NewMessage {
            recipient: mail.recipient.to_owned(),
            subject: kind.subject().to_owned(),
            html_body: self.templates.render_notification(kind, mail)?,
            link: mail.link.to_owned(),
            message_id: self.new_message_id(),
            list_unsubscribe: Some(mail.unsubscribe.to_owned()),
        };
        outbox::insert(db, message, chrono::Utc::now()).await?;
        Ok(())
    }

    /// `APP_BASE_URL`, without a trailing slash: what every absolute link in an e-mail starts with.
    pub fn base_url(&self) -> &str {
        self.base_url.trim_end_matches('/')
    }

    /// `<128 random bits in hex@domain>` (RFC 5322 §3.6.4): unique without coordination, unlike the
    /// row id, which starts again at 1 in a fresh database and would make receivers drop new mail as
    /// duplicates of old.
    fn new_message_id(&self) -> String {
        let id: u128 = rand::random();
        format!("<{id:032x}@{}>", self.message_id_domain)
    }

    /// Commits the transaction that enqueued mail, then wakes the worker: one call, so no change that
    /// owes an e-mail can commit and leave it waiting for the next poll.
    pub async fn commit_and_send(
        &self,
        txn: sea_orm::DatabaseTransaction,
    ) -> Result<(), sea_orm::DbErr> {
        txn.commit().await?;
        self.wake_worker();
        Ok(())
    }

    /// Tells the worker there is mail; call after the transaction that enqueued it has committed.
    pub fn wake_worker(&self) {
        self.wake.notify_one();
    }

    /// Completes when [`Mail::wake_worker`] was called or `timeout` passed.
    pub async fn wait_for_mail(&self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.wake.notified()).await;
    }

    /// The absolute link of an e-mail: a page a person can use in a browser.
    fn link(&self, recipient: &str, notice: Notice<'_>) -> String {
        use links::{ACTIVATE_PATH, LOGIN_PATH, RESET_PASSWORD_PATH};
        let with_token = |path: &str, token: &str| {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("email", recipient)
                .append_pair("token", token)
                .finish();
            format!("{}{path}?{query}", self.base_url)
        };
        match notice {
            Notice::Activation { token } => with_token(ACTIVATE_PATH, token),
            Notice::PasswordReset { token } => with_token(RESET_PASSWORD_PATH, token),
            Notice::ActivationComplete | Notice::PasswordResetComplete => {
                format!("{}{LOGIN_PATH}", self.base_url)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(env: &[(&str, &str)]) -> Mail {
        let config = Config::from_lookup(|k| {
            env.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| (*v).to_owned())
        })
        .unwrap();
        Mail::from_config(&config).unwrap()
    }

    #[test]
    fn links_are_absolute_and_carry_email_and_token() {
        let mail = mail(&[("APP_BASE_URL", "https://theater.example/")]);
        assert_eq!(
            mail.link("a+b@c.io", Notice::Activation { token: "t&1" }),
            "https://theater.example/accounts/activate?email=a%2Bb%40c.io&token=t%261"
        );
        assert_eq!(
            mail.link("a@c.io", Notice::PasswordReset { token: "x" }),
            "https://theater.example/accounts/reset-password?email=a%40c.io&token=x"
        );
        assert_eq!(
            mail.link("a@c.io", Notice::ActivationComplete),
            "https://theater.example/accounts/login"
        );
    }

    #[test]
    fn each_message_gets_its_own_message_id_in_the_services_domain() {
        let mail = mail(&[("APP_BASE_URL", "https://theater.example:8443/")]);
        let a = mail.render("a@c.io", Notice::ActivationComplete).unwrap();
        let b = mail.render("a@c.io", Notice::ActivationComplete).unwrap();
        assert!(a.message_id.starts_with('<'), "{}", a.message_id);
        assert!(
            a.message_id.ends_with("@theater.example>"),
            "{}",
            a.message_id
        );
        assert_eq!(a.message_id.len(), "<@theater.example>".len() + 32);
        assert_ne!(a.message_id, b.message_id);
        assert_eq!(a.link, "https://theater.example:8443/accounts/login");
    }

    #[test]
    fn the_sender_is_email_host_user_when_it_is_an_address() {
        assert_eq!(mail(&[]).from_address().to_string(), FALLBACK_FROM);
        let m = mail(&[
            ("EMAIL_HOST", "smtp.example"),
            ("EMAIL_HOST_USER", "noreply@theater.example"),
        ]);
        assert_eq!(m.from_address().to_string(), "noreply@theater.example");
        assert!(matches!(m.transport(), Transport::Smtp(_)));
        assert!(matches!(
            mail(&[]).transport(),
            Transport::Log { show_tokens: false }
        ));
        let m = mail(&[("EMAIL_HOST", "smtp.example"), ("EMAIL_HOST_USER", "bob")]);
        assert_eq!(m.from_address().to_string(), FALLBACK_FROM);
    }
}
