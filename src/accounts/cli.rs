//! `theater users`: operator commands.

use crate::{cli::UsersCommand, config::Config};

pub async fn users_command(config: Config, command: UsersCommand) -> anyhow::Result<()> {
    let _ = (config, command);
    anyhow::bail!("user management is not available yet")
}
