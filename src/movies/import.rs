//! `theater seed`: the IMDb CSV importer.

use crate::{cli::SeedArgs, config::Config};

pub async fn seed_command(config: Config, args: SeedArgs) -> anyhow::Result<()> {
    let _ = (config, args);
    anyhow::bail!("seeding is not available yet")
}
