//! `activation_tokens`: the activation token of an inactive user (at most one each; 24 hours).

token_entity!("activation_tokens");
