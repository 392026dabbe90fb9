use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "email_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub recipient: String,
    pub subject: String,
    #[sea_orm(column_type = "Text")]
    pub html_body: String,
    pub created_at: DateTimeUtc,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    /// The `Message-ID` header, `<...@...>`; fixed at insert so every attempt carries the same one
    /// (`NULL` only on rows written before the column existed).
    pub message_id: Option<String>,
    /// The e-mail's link, as the log transport shows it.
    #[sea_orm(column_type = "Text", nullable)]
    pub link: Option<String>,
    /// Set when the server refused the message for good (SMTP 5xx); it is never retried.
    pub failed_at: Option<DateTimeUtc>,
    /// The one-click unsubscribe URL of a notification e-mail (RFC 8058 `List-Unsubscribe` and
    /// `List-Unsubscribe-Post` are sent when set); `NULL` for account e-mails.
    #[sea_orm(column_type = "Text", nullable)]
    pub list_unsubscribe: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
