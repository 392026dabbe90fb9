//! The `theater` command line: `serve` (default), `migrate`, `seed`, `users`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "theater", version, about = "Movie catalog and accounts API")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (applies pending migrations first). The default command.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load an IMDb movies CSV (raw or preprocessed dialect) into the catalog.
    Seed(SeedArgs),
    /// Manage user accounts.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Exit 0 when a running service answers `GET /health` with 200 (container health checks).
    Healthcheck {
        /// Defaults to `http://127.0.0.1:{PORT}/health`.
        #[arg(long)]
        url: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// The CSV file to load.
    #[arg(required_unless_present = "synthetic")]
    pub path: Option<PathBuf>,
    /// Generate a deterministic synthetic catalog of N movies in the same CSV format. With PATH, the
    /// CSV is written there (and not loaded); without it, it is loaded directly.
    #[arg(long, value_name = "N")]
    pub synthetic: Option<usize>,
    /// Seed of the synthetic catalog's generator.
    #[arg(long, value_name = "S", default_value_t = 42, requires = "synthetic")]
    pub seed: u64,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a user (same e-mail and password rules as the API).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        /// user, moderator or admin.
        #[arg(long, default_value = "user")]
        group: String,
        /// Activate the account at once (no activation e-mail).
        #[arg(long)]
        active: bool,
    },
    /// Move an existing user to another group.
    SetGroup {
        #[arg(long)]
        email: String,
        /// user, moderator or admin.
        #[arg(long)]
        group: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_is_the_default() {
        assert!(Cli::try_parse_from(["theater"]).unwrap().command.is_none());
    }

    #[test]
    fn seed_needs_a_path_or_synthetic() {
        assert!(Cli::try_parse_from(["theater", "seed"]).is_err());
        assert!(Cli::try_parse_from(["theater", "seed", "--synthetic", "10"]).is_ok());
        assert!(Cli::try_parse_from(["theater", "seed", "movies.csv"]).is_ok());
    }
}
