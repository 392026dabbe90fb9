use std::process::ExitCode;

/// mimalloc instead of glibc's malloc: glibc keeps each thread arena's freed argon2 buffers (19 MiB per
/// password hash) and a burst of logins left the process at ~450 MB; mimalloc returns them (see
/// bench/RESULTS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use theater::{
    cli::{Cli, Command},
    config::Config,
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
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("theater: {e}");
            return ExitCode::from(2);
        }
    };
    theater::telemetry::init(config.log_format);
    match run(cli.command.unwrap_or(Command::Serve), config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("theater: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => Application::build(config).await?.run_until_stopped().await,
        Command::Migrate => {
            let db = theater::db::connect(&config.database_url, 1).await?;
            theater::db::migrate(&db).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Seed(args) => theater::movies::import::seed_command(config, args).await,
        Command::Users(command) => theater::accounts::cli::users_command(config, command).await,
        Command::Healthcheck { url } => {
            let url =
                url.unwrap_or_else(|| format!("http://127.0.0.1:{}/health", config.bind.port()));
            healthcheck(&url).await
        }
    }
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
