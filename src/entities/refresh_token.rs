//! `refresh_tokens`: refresh tokens: one per login, deleted at logout, password change or reset.

token_entity!("refresh_tokens");
