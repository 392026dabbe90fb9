//! Mail in tests: an app whose e-mail goes to lettre's stub transport, and the delivered messages.

use std::{collections::HashMap, sync::Arc};

use lettre::transport::stub::AsyncStubTransport;
use theater::mail::{ExecutionOutcome, Mail, Transport, try_execute_task};

use super::{Backend, TestApp, spawn_app_with_state};

/// An app whose mail goes to lettre's stub transport, with no background jobs: the test drives the
/// outbox worker itself.
pub async fn spawn_mail_app(backend: Backend) -> TestApp {
    spawn_mail_app_with(backend, |_| {}).await
}

pub async fn spawn_mail_app_with(
    backend: Backend,
    customize: impl FnOnce(&mut HashMap<String, String>),
) -> TestApp {
    spawn_mail_app_with_transport(backend, customize, AsyncStubTransport::new_ok()).await
}

pub async fn spawn_mail_app_with_transport(
    backend: Backend,
    customize: impl FnOnce(&mut HashMap<String, String>),
    stub: AsyncStubTransport,
) -> TestApp {
    spawn_app_with_state(
        backend,
        |env| {
            env.insert("BACKGROUND_JOBS".into(), "false".into());
            customize(env);
        },
        |state| {
            let mail = Mail::from_config(&state.config)
                .expect("mail")
                .with_transport(Transport::Stub(stub));
            state.mail = Arc::new(mail);
        },
    )
    .await
}

/// A delivered e-mail, parsed from what the transport received.
#[derive(Debug, Clone)]
pub struct SentMail {
    pub to: String,
    pub from: String,
    pub subject: String,
    pub html: String,
}

impl SentMail {
    pub fn parse(raw: &str) -> Self {
        let message = mail_parser::MessageParser::default()
            .parse(raw.as_bytes())
            .expect("an RFC 5322 message");
        let address = |a: Option<&mail_parser::Address>| {
            a.and_then(|a| a.first())
                .and_then(|a| a.address())
                .expect("an address")
                .to_owned()
        };
        Self {
            to: address(message.to()),
            from: address(message.from()),
            subject: message.subject().expect("a subject").to_owned(),
            html: message.body_html(0).expect("an HTML body").into_owned(),
        }
    }

    /// The text of `<strong id="email">`.
    pub fn email_element(&self) -> String {
        between(&self.html, r#"<strong id="email">"#, "</strong>")
    }

    /// The `href` of `<a id="link">`, unescaped.
    pub fn link(&self) -> String {
        let start = self
            .html
            .find(r#"<a id="link""#)
            .expect("an <a id=\"link\">");
        unescape(&between(&self.html[start..], r#"href=""#, "\""))
    }

    /// A query parameter of the link.
    pub fn link_param(&self, name: &str) -> String {
        let link = url::Url::parse(&self.link()).expect("an absolute link");
        link.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no {name} in {link}"))
    }

    /// The link's path and query, to follow it against the test server.
    pub fn link_path(&self) -> String {
        let link = url::Url::parse(&self.link()).expect("an absolute link");
        match link.query() {
            Some(q) => format!("{}?{q}", link.path()),
            None => link.path().to_owned(),
        }
    }
}

pub fn between(text: &str, start: &str, end: &str) -> String {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} not found in {text}"))
        + start.len();
    let len = text[from..].find(end).expect("the closing text");
    text[from..from + len].to_owned()
}

/// The entities our templates escape.
pub fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

impl TestApp {
    pub fn stub(&self) -> AsyncStubTransport {
        match self.state.mail.transport() {
            Transport::Stub(stub) => stub.clone(),
            other => panic!("not a stub transport: {other:?}"),
        }
    }

    /// Runs the outbox worker until nothing is due; returns every e-mail sent so far.
    pub async fn deliver_mail(&self) -> Vec<SentMail> {
        while try_execute_task(&self.db, &self.state.mail)
            .await
            .expect("outbox")
            == ExecutionOutcome::TaskCompleted
        {}
        self.stub()
            .messages()
            .await
            .iter()
            .map(|(_, raw)| SentMail::parse(raw))
            .collect()
    }

    /// The single e-mail sent to `to` with `subject`.
    pub async fn mail(&self, to: &str, subject: &str) -> SentMail {
        let matching: Vec<SentMail> = self
            .deliver_mail()
            .await
            .into_iter()
            .filter(|m| m.to == to && m.subject == subject)
            .collect();
        assert_eq!(matching.len(), 1, "e-mails to {to} with {subject:?}");
        matching.into_iter().next().expect("one e-mail")
    }

    pub async fn count_mail(&self, to: &str, subject: &str) -> usize {
        self.deliver_mail()
            .await
            .iter()
            .filter(|m| m.to == to && m.subject == subject)
            .count()
    }

    /// Asserts that exactly `expected` e-mails to `to` with `subject` were sent.
    pub async fn assert_mail_count(&self, to: &str, subject: &str, expected: usize) {
        let sent = self.count_mail(to, subject).await;
        assert_eq!(sent, expected, "e-mails to {to} with {subject:?}");
    }

    /// [`Self::mail`], checked to name `to` in its `<strong id="email">`.
    pub async fn mail_naming(&self, to: &str, subject: &str) -> SentMail {
        let mail = self.mail(to, subject).await;
        assert_eq!(mail.email_element(), to, "the e-mail {subject:?}");
        mail
    }

    /// [`Self::mail_naming`], checked to link to the login page too.
    pub async fn mail_linking_to_login(&self, to: &str, subject: &str) -> SentMail {
        let mail = self.mail_naming(to, subject).await;
        assert_eq!(mail.link(), format!("{}/accounts/login", self.address));
        mail
    }
}
