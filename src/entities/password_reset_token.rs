//! `password_reset_tokens`: the password-reset token of an active user (at most one each; 24 hours).

token_entity!("password_reset_tokens");
