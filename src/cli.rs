//! The `theater` command line: `serve` (default), `migrate`, `seed`, `users`, `audit`.

use std::net::IpAddr;

use clap::{Args, Parser, Subcommand};

// Each domain owns the arguments of its commands; this file only assembles them.
pub use crate::{accounts::cli::UsersCommand, admin::cli::AuditCommand, movies::import::SeedArgs};

#[derive(Debug, Parser)]
#[command(
    name = "theater",
    version,
    about = "Movie catalog and accounts API",
    after_help = "Settings come from the environment or .env: `theater --help` lists them."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// The command line of this process; `--help` (long help) ends with every setting and its
    /// default, from the same table as the configuration (see `config::settings`).
    pub fn parse_args() -> Self {
        use clap::{CommandFactory, FromArgMatches};
        let settings = crate::config::settings_help();
        let matches = Self::command()
            .after_long_help(settings.clone())
            .mut_subcommand("serve", |serve| serve.after_long_help(settings))
            .get_matches();
        match Self::from_arg_matches(&matches) {
            Ok(cli) => cli,
            Err(e) => e.exit(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (applies pending migrations first). The default command.
    Serve(ServeArgs),
    /// Apply pending database migrations and exit (`migrate status` lists them instead).
    Migrate(MigrateArgs),
    /// Load an IMDb movies CSV (raw or preprocessed dialect) into the catalog.
    Seed(SeedArgs),
    /// Manage user accounts.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Read or prune the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Exit 0 when a running service answers `GET /health` with 200 (container health checks).
    Healthcheck {
        /// Defaults to `http://127.0.0.1:{PORT}/health`.
        #[arg(long)]
        url: Option<String>,
    },
}

/// Where `serve` listens; each flag wins over its variable (`BIND_ADDRESS`, `PORT`).
#[derive(Debug, Default, Args)]
pub struct ServeArgs {
    // Not clap's `env = …`: the variables are the configuration's (read, checked and reported in one
    // line naming the variable by `config`); a flag only overrides them.
    /// The address to listen on, e.g. 127.0.0.1 or :: [default: BIND_ADDRESS, else 0.0.0.0]
    #[arg(long, value_name = "IP")]
    pub host: Option<IpAddr>,
    /// The port to listen on; 0 picks a free one [default: PORT, else 8000]
    #[arg(long)]
    pub port: Option<u16>,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(subcommand)]
    pub action: Option<MigrateAction>,
}

#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// List every migration this binary knows, applied or pending; changes nothing. Exits 1 when
    /// some are pending.
    Status,
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
    fn long_help_lists_the_settings() {
        use clap::CommandFactory;
        let help = Cli::command()
            .after_long_help(crate::config::settings_help())
            .render_long_help()
            .to_string();
        assert!(help.contains("SECRET_KEY_ACCESS"), "{help}");
        assert!(help.contains("MINIO_PUBLIC_URL"), "{help}");
    }

    #[test]
    fn serve_is_the_default() {
        assert!(Cli::try_parse_from(["theater"]).unwrap().command.is_none());
    }

    #[test]
    fn serve_takes_host_and_port() {
        let cli =
            Cli::try_parse_from(["theater", "serve", "--host", "127.0.0.1", "--port", "9000"])
                .unwrap();
        let Some(Command::Serve(args)) = cli.command else {
            panic!("not serve")
        };
        assert_eq!(args.host, Some("127.0.0.1".parse().unwrap()));
        assert_eq!(args.port, Some(9000));
        assert!(Cli::try_parse_from(["theater", "serve", "--host", "localhost"]).is_err());
        assert!(Cli::try_parse_from(["theater", "serve", "--port", "70000"]).is_err());
    }

    #[test]
    fn migrate_applies_or_reports() {
        let plain = Cli::try_parse_from(["theater", "migrate"]).unwrap();
        assert!(matches!(
            plain.command,
            Some(Command::Migrate(MigrateArgs { action: None }))
        ));
        let status = Cli::try_parse_from(["theater", "migrate", "status"]).unwrap();
        assert!(matches!(
            status.command,
            Some(Command::Migrate(MigrateArgs {
                action: Some(MigrateAction::Status)
            }))
        ));
    }

    #[test]
    fn users_create_password_is_optional() {
        assert!(
            Cli::try_parse_from([
                "theater",
                "users",
                "create",
                "--email",
                "a@b.io",
                "--if-missing"
            ])
            .is_ok()
        );
    }

    #[test]
    fn admin_commands_name_one_user() {
        let parse = |args: &[&str]| Cli::try_parse_from([&["theater"], args].concat());
        assert!(parse(&["users", "deactivate", "--email", "a@b.io"]).is_ok());
        assert!(parse(&["users", "revoke", "--id", "3"]).is_ok());
        assert!(parse(&["users", "activate"]).is_err());
        assert!(parse(&["users", "show", "--id", "3", "--email", "a@b.io"]).is_err());
        assert!(parse(&["users", "list", "--sort", "-created_at", "--active", "true"]).is_ok());
        assert!(parse(&["audit", "prune", "--before", "2026-12-01"]).is_ok());
        assert!(parse(&["audit", "prune", "--before", "soon"]).is_err());
        assert!(
            parse(&[
                "audit",
                "list",
                "--actor-id",
                "1",
                "--action",
                "user.update"
            ])
            .is_ok()
        );
    }

    #[test]
    fn seed_needs_a_path_or_synthetic() {
        assert!(Cli::try_parse_from(["theater", "seed"]).is_err());
        assert!(Cli::try_parse_from(["theater", "seed", "--synthetic", "10"]).is_ok());
        assert!(Cli::try_parse_from(["theater", "seed", "movies.csv"]).is_ok());
    }
}
