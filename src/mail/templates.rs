//! The e-mail templates (four account e-mails, two notification e-mails) and the layout they extend (`layout.html`: the page, the heading, the
//! button): built in (compiled into the binary from `templates/email/`), each replaceable by a file
//! of the same name in `EMAIL_TEMPLATES_DIR`. Overrides are read and test-rendered
//! at start-up, so a broken one stops `serve` with a clear message instead of failing a registration.

use std::path::Path;

use anyhow::Context;
use minijinja::{AutoEscape, Environment, Output, State, UndefinedBehavior, Value, context};

/// What an e-mail is about; fixes its template, subject and link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::VariantArray)]
pub enum EmailKind {
    Activation,
    ActivationComplete,
    PasswordReset,
    PasswordResetComplete,
    /// A reply to the recipient's review (`notifications`).
    ReviewReply,
    /// A like of the recipient's review.
    ReviewLike,
}

impl EmailKind {
    pub const ALL: &[EmailKind] = <Self as strum::VariantArray>::VARIANTS;
    /// The account e-mails: rendered with the recipient and one link only.
    pub const ACCOUNT: &[EmailKind] = &[
        Self::Activation,
        Self::ActivationComplete,
        Self::PasswordReset,
        Self::PasswordResetComplete,
    ];

    /// The template's file name, in `templates/email/` and in `EMAIL_TEMPLATES_DIR`.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Activation => "activation_request.html",
            Self::ActivationComplete => "activation_complete.html",
            Self::PasswordReset => "password_reset_request.html",
            Self::PasswordResetComplete => "password_reset_complete.html",
            Self::ReviewReply => "review_reply.html",
            Self::ReviewLike => "review_like.html",
        }
    }

    /// The contract's subjects.
    pub fn subject(self) -> &'static str {
        match self {
            Self::Activation => "Account Activation",
            Self::ActivationComplete => "Account Activated Successfully",
            Self::PasswordReset => "Password Reset Request",
            Self::PasswordResetComplete => "Your Password Has Been Successfully Reset",
            Self::ReviewReply => "New reply to your review",
            Self::ReviewLike => "Your review was liked",
        }
    }

    fn builtin(self) -> &'static str {
        match self {
            Self::Activation => include_str!("../../templates/email/activation_request.html"),
            Self::ActivationComplete => {
                include_str!("../../templates/email/activation_complete.html")
            }
            Self::PasswordReset => {
                include_str!("../../templates/email/password_reset_request.html")
            }
            Self::PasswordResetComplete => {
                include_str!("../../templates/email/password_reset_complete.html")
            }
            Self::ReviewReply => include_str!("../../templates/email/review_reply.html"),
            Self::ReviewLike => include_str!("../../templates/email/review_like.html"),
        }
    }
}

/// The layout every built-in template extends, and its source.
const LAYOUT: (&str, &str) = (
    "layout.html",
    include_str!("../../templates/email/layout.html"),
);

/// The e-mail templates, ready to render.
#[derive(Debug)]
pub struct EmailTemplates {
    env: Environment<'static>,
}

impl EmailTemplates {
    /// The built-in templates, with any file of the same name in `overrides` taking its place.
    pub fn load(overrides: Option<&Path>) -> anyhow::Result<Self> {
        if let Some(dir) = overrides
            && !dir.is_dir()
        {
            anyhow::bail!("EMAIL_TEMPLATES_DIR {} is not a directory", dir.display());
        }
        let mut env = html_environment();
        // An override that names a variable the service does not provide is a mistake worth
        // stopping for, not an empty link in every e-mail.
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        let templates = EmailKind::ALL
            .iter()
            .map(|kind| (kind.file_name(), kind.builtin()));
        for (name, builtin) in std::iter::once(LAYOUT).chain(templates) {
            let source = match overrides.map(|dir| dir.join(name)) {
                Some(path) if path.is_file() => {
                    tracing::info!(path = %path.display(), "using an e-mail template override");
                    std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))?
                }
                _ => builtin.to_owned(),
            };
            env.add_template_owned(name, source)
                .with_context(|| format!("e-mail template {name}"))?;
        }
        let templates = Self { env };
        let sample = NotificationMail {
            recipient: "someone@example.com",
            link: "http://127.0.0.1/",
            unsubscribe: "http://127.0.0.1/notifications/unsubscribe?token=t",
            actor: "Someone",
            movie: "A movie",
            text: "A review",
        };
        for &kind in EmailKind::ALL {
            let rendered = if EmailKind::ACCOUNT.contains(&kind) {
                templates.render(kind, sample.recipient, sample.link)
            } else {
                templates.render_notification(kind, &sample)
            };
            rendered.with_context(|| format!("e-mail template {}", kind.file_name()))?;
        }
        Ok(templates)
    }

    /// The HTML body of an account e-mail for `recipient` with `link`.
    pub fn render(&self, kind: EmailKind, recipient: &str, link: &str) -> anyhow::Result<String> {
        let template = self.env.get_template(kind.file_name())?;
        Ok(template.render(context! { email => recipient, link => link })?)
    }

    /// The HTML body of a notification e-mail. Every value is escaped by the template.
    pub fn render_notification(
        &self,
        kind: EmailKind,
        mail: &NotificationMail<'_>,
    ) -> anyhow::Result<String> {
        let template = self.env.get_template(kind.file_name())?;
        Ok(template.render(context! {
            email => mail.recipient,
            link => mail.link,
            unsubscribe => mail.unsubscribe,
            actor => mail.actor,
            movie => mail.movie,
            text => mail.text,
        })?)
    }
}

/// What a notification e-mail shows: besides the recipient and the link, the one-click
/// unsubscribe URL (also shown as a link), who did it, to which movie's review, and the text.
#[derive(Debug, Clone, Copy)]
pub struct NotificationMail<'a> {
    pub recipient: &'a str,
    pub link: &'a str,
    pub unsubscribe: &'a str,
    pub actor: &'a str,
    pub movie: &'a str,
    pub text: &'a str,
}

/// A minijinja environment that auto-escapes `.html` templates the way Jinja2 (the original's
/// engine) does: `& < > " '` only. minijinja's own escaper also turns `/` into `&#x2f;`, which is
/// valid HTML but makes links in e-mails unreadable to people and naive parsers.
pub fn html_environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_formatter(jinja2_formatter);
    env
}

fn jinja2_formatter(
    out: &mut Output,
    state: &State,
    value: &Value,
) -> Result<(), minijinja::Error> {
    match (state.auto_escape(), value.as_str()) {
        (AutoEscape::Html, Some(text)) if !value.is_safe() => {
            let mut escaped = String::with_capacity(text.len());
            for c in text.chars() {
                match c {
                    '&' => escaped.push_str("&amp;"),
                    '<' => escaped.push_str("&lt;"),
                    '>' => escaped.push_str("&gt;"),
                    '"' => escaped.push_str("&#34;"),
                    '\'' => escaped.push_str("&#39;"),
                    c => escaped.push(c),
                }
            }
            std::fmt::Write::write_str(out, &escaped).map_err(|e| {
                minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string())
            })
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_templates_carry_the_two_elements_escaped() {
        let templates = EmailTemplates::load(None).unwrap();
        for &kind in EmailKind::ACCOUNT {
            let html = templates
                .render(kind, "a<b>@example.com", "http://x.io/p?a=1&b=2")
                .unwrap();
            assert!(
                html.contains(r#"<strong id="email">a&lt;b&gt;@example.com</strong>"#),
                "{html}"
            );
            assert!(
                html.contains(r#"<a id="link" href="http://x.io/p?a=1&amp;b=2""#),
                "{html}"
            );
        }
    }

    #[test]
    fn notification_templates_escape_what_users_wrote_and_link_the_unsubscribe() {
        let templates = EmailTemplates::load(None).unwrap();
        let mail = NotificationMail {
            recipient: "ann@example.com",
            link: "http://x.io/r/1",
            unsubscribe: "http://x.io/notifications/unsubscribe?token=1-replies-ab&x=1",
            actor: "Bob <script>",
            movie: "Tom & Jerry",
            text: "<b>bold</b> \"quoted\"",
        };
        let html = templates
            .render_notification(EmailKind::ReviewReply, &mail)
            .unwrap();
        assert!(
            html.contains("<title>New reply to your review</title>"),
            "{html}"
        );
        assert!(html.contains("Bob &lt;script&gt;"), "{html}");
        assert!(html.contains("Tom &amp; Jerry"), "{html}");
        assert!(
            html.contains("&lt;b&gt;bold&lt;/b&gt; &#34;quoted&#34;"),
            "{html}"
        );
        assert!(
            html.contains(r#"<a id="unsubscribe" href="http://x.io/notifications/unsubscribe?token=1-replies-ab&amp;x=1">"#),
            "{html}"
        );
        let like = templates
            .render_notification(EmailKind::ReviewLike, &mail)
            .unwrap();
        assert!(like.contains("liked your review"), "{like}");
    }

    #[test]
    fn overrides_replace_single_files_and_broken_ones_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("activation_complete.html"),
            r#"Hi <strong id="email">{{ email }}</strong> <a id="link" href="{{ link }}">go</a>"#,
        )
        .unwrap();
        let templates = EmailTemplates::load(Some(dir.path())).unwrap();
        let html = templates
            .render(EmailKind::ActivationComplete, "a@b.io", "http://l/")
            .unwrap();
        assert!(html.starts_with("Hi <strong"));
        let other = templates
            .render(EmailKind::Activation, "a@b.io", "http://l/")
            .unwrap();
        assert!(other.contains("<!DOCTYPE html>"));

        std::fs::write(dir.path().join("password_reset_request.html"), "{{ tokn }}").unwrap();
        let e = EmailTemplates::load(Some(dir.path())).unwrap_err();
        assert!(format!("{e:#}").contains("password_reset_request.html"));

        // The layout is a file like the others: replacing it restyles every built-in e-mail.
        let layout = tempfile::tempdir().unwrap();
        std::fs::write(
            layout.path().join("layout.html"),
            "<title>{% block title %}{% endblock %}</title>{% block text %}{% endblock %}",
        )
        .unwrap();
        let templates = EmailTemplates::load(Some(layout.path())).unwrap();
        for &kind in EmailKind::ACCOUNT {
            let html = templates.render(kind, "a@b.io", "http://l/").unwrap();
            assert!(
                html.starts_with(&format!("<title>{}</title>", kind.subject())),
                "{html}"
            );
            assert!(!html.contains("<!DOCTYPE html>"), "{html}");
        }

        let missing = dir.path().join("nope");
        let e = EmailTemplates::load(Some(&missing)).unwrap_err();
        assert!(e.to_string().contains("is not a directory"));
    }
}
