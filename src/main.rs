use std::process::ExitCode;

/// mimalloc instead of glibc's malloc: glibc keeps each thread arena's freed argon2 buffers (19 MiB per
/// password hash) and a burst of logins left the process at ~450 MB; mimalloc returns them (see
/// bench/RESULTS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use sea_orm_migration::{MigrationStatus, MigratorTrait};
use theater::{
    cli::{Cli, Command, MigrateAction, ServeArgs},
    config::Config,
    migration::Migrator,
    startup::Application,
};

#[tokio::main]
async fn main() -> ExitCode {
    // A missing .env is normal; a malformed one is worth a line.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("theater: cannot read .env: {e}");
        return ExitCode::FAILURE;
    }
    let cli = Cli::parse_args();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("theater: {e}");
            return ExitCode::from(2);
        }
    };
    theater::telemetry::init(config.log_format);
    match run(
        cli.command.unwrap_or(Command::Serve(ServeArgs::default())),
        config,
    )
    .await
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("theater: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => {
            let mut config = config;
            if let Some(host) = args.host {
                config.bind.set_ip(host);
            }
            if let Some(port) = args.port {
                config.bind.set_port(port);
            }
            Application::build(config).await?.run_until_stopped().await
        }
        Command::Migrate(args) => {
            let db = theater::db::connect(&config.database_url, 1).await?;
            match args.action {
                None => {
                    theater::db::migrate(&db).await?;
                    println!("migrations applied");
                    Ok(())
                }
                Some(MigrateAction::Status) => migration_status(&db).await,
            }
        }
        Command::Seed(args) => theater::movies::import::seed_command(config, args).await,
        Command::Users(command) => theater::accounts::cli::users_command(config, command).await,
        Command::Audit(command) => theater::admin::cli::audit_command(config, command).await,
        Command::Healthcheck { url } => {
            let url =
                url.unwrap_or_else(|| format!("http://127.0.0.1:{}/health", config.bind.port()));
            healthcheck(&url).await
        }
    }
}

/// One line per migration; exit 1 when some are pending (scripts can wait on it). Read-only: it does
/// not even create the migrations table.
async fn migration_status(db: &sea_orm::DatabaseConnection) -> anyhow::Result<()> {
    let migrations = Migrator::get_migration_with_status_read_only(db).await?;
    let mut pending = 0;
    for migration in &migrations {
        let status = match migration.status() {
            MigrationStatus::Applied => "applied",
            MigrationStatus::Pending => {
                pending += 1;
                "pending"
            }
        };
        println!("{status:8} {}", migration.name());
    }
    anyhow::ensure!(
        pending == 0,
        "{pending} of {} migrations pending",
        migrations.len()
    );
    println!("all {} migrations applied", migrations.len());
    Ok(())
}

async fn healthcheck(url: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(3))
        .build()?;
    let response = client.get(url).send().await?;
    anyhow::ensure!(
        response.status().is_success(),
        "{url} answered {}",
        response.status()
    );
    println!("healthy");
    Ok(())
}
