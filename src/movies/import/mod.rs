//! `theater seed`: the IMDb movies CSV importer, and the synthetic catalog generator for scale work.
//!
//! The work is split into plain functions that tests call directly: [`parse_csv`] (a reader → rows,
//! every rule of the two dialects, all bad rows with their line numbers) and [`load_rows`] (rows → the
//! database, one transaction, bulk inserts). [`import`] chains them; [`seed_command`] adds the file,
//! the connection, progress and the summary.

mod load;
mod parse;
mod progress;
mod synthetic;

use std::{
    fmt,
    io::Read,
    path::{Path, PathBuf},
    time::Instant,
};

use anyhow::Context;
use clap::Args;
use sea_orm::{DatabaseConnection, DbErr};

pub use load::{LoadSummary, Loader, after_load, load_rows};
pub use parse::{BadRow, Dialect, MovieRow, ParseError, ParsedCsv, parse_csv};
pub use progress::Progress;
pub use synthetic::{SyntheticCatalog, write_synthetic_csv};

use crate::config::Config;

/// The outcome of one import.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportReport {
    /// Movies in the input after dropping later duplicates.
    pub movies_in_input: usize,
    /// Later duplicate rows dropped.
    pub duplicates: usize,
    pub added: LoadSummary,
    pub seconds: f64,
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = &self.added;
        if a.movies == 0 {
            write!(
                f,
                "Nothing to add: all {} movies of the input are already in the catalog ({:.2} s).",
                self.movies_in_input, self.seconds
            )?;
        } else {
            write!(
                f,
                "Added {} movies, {} genres, {} actors, {} languages and {} countries in {:.2} s.",
                a.movies, a.genres, a.actors, a.languages, a.countries, self.seconds
            )?;
            if a.already_present > 0 {
                write!(
                    f,
                    "\n{} movies of the input were already in the catalog and were left as they are.",
                    a.already_present
                )?;
            }
        }
        if self.duplicates > 0 {
            write!(
                f,
                "\n{} later duplicate rows (same name and date) were dropped.",
                self.duplicates
            )?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error("the database refused the import, nothing was written: {0}")]
    Db(#[from] DbErr),
}

/// Parses `reader` and loads it into `db` in one transaction.
pub async fn import(
    db: &DatabaseConnection,
    reader: impl Read,
    progress: &Progress,
) -> Result<ImportReport, ImportError> {
    let started = Instant::now();
    let parsed = parse_csv(reader)?;
    let added = load_rows(db, &parsed.rows, progress).await?;
    Ok(ImportReport {
        movies_in_input: parsed.rows.len(),
        duplicates: parsed.duplicates,
        added,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// `theater seed PATH`, `theater seed --synthetic N [--seed S] [PATH]`.
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
    /// With `--synthetic N` (loaded, not written to a file): also add synthetic users, about ten
    /// ratings and three reactions per movie, reviews, and one movie with 10,000 reviews.
    #[arg(long, requires = "synthetic", conflicts_with = "path")]
    pub community: bool,
}

pub async fn seed_command(config: Config, args: SeedArgs) -> anyhow::Result<()> {
    match (args.synthetic, args.path) {
        (Some(n), Some(path)) => {
            write_synthetic_file(n, args.seed, &path)?;
            println!(
                "Wrote {n} synthetic movies (seed {}) to {}.",
                args.seed,
                path.display()
            );
            Ok(())
        }
        (Some(n), None) => {
            let db = crate::db::connect(&config.database_url, 2).await?;
            crate::db::migrate(&db).await?;
            let progress = Progress::for_stderr();
            let report = seed_synthetic(&db, n, args.seed, &progress).await?;
            println!("{report}");
            if args.community {
                let report =
                    crate::community::synthetic::seed_community(&db, args.seed, &progress).await?;
                println!("{report}");
            }
            db.close().await.ok();
            Ok(())
        }
        (None, Some(path)) => {
            let file = std::fs::File::open(&path)
                .with_context(|| format!("cannot open {}", path.display()))?;
            let source = path.display().to_string();
            seed_from(&config, std::io::BufReader::new(file), &source).await
        }
        (None, None) => anyhow::bail!("give a CSV file to load, or --synthetic N"),
    }
}

/// Movies generated, parsed and loaded per step of [`seed_synthetic`]: memory holds one chunk.
const SYNTHETIC_CHUNK: usize = 20_000;

/// Loads a synthetic catalog of `n` movies in one transaction, chunk by chunk (memory stays bounded
/// by a chunk and the lookups, whatever `n`). The rows are those `theater seed --synthetic N FILE`
/// writes, read by the same parser as any CSV.
pub async fn seed_synthetic(
    db: &DatabaseConnection,
    n: usize,
    seed: u64,
    progress: &Progress,
) -> anyhow::Result<ImportReport> {
    seed_synthetic_in_chunks(db, n, seed, SYNTHETIC_CHUNK, progress).await
}

/// [`seed_synthetic`] with chunks of `chunk_movies` (tests use small ones).
pub async fn seed_synthetic_in_chunks(
    db: &DatabaseConnection,
    n: usize,
    seed: u64,
    chunk_movies: usize,
    progress: &Progress,
) -> anyhow::Result<ImportReport> {
    let started = Instant::now();
    let mut catalog = SyntheticCatalog::new(n, seed);
    let txn = super::store::begin_catalog_write(db).await?;
    let mut loader = Loader::new(&txn).await?;
    progress.start("movies", n as u64);
    loop {
        let mut chunk = Vec::new();
        let count = catalog
            .write_chunk(chunk_movies.max(1), &mut chunk)
            .context("generating the catalog")?;
        if count == 0 {
            break;
        }
        let parsed = parse_csv(chunk.as_slice()).context("reading the generated catalog")?;
        loader.load(&parsed.rows, &Progress::Silent).await?;
        progress.advance(count as u64);
    }
    progress.finish();
    let added = loader.finish();
    txn.commit().await?;
    after_load(db, &added).await;
    Ok(ImportReport {
        movies_in_input: n,
        duplicates: 0,
        added,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn write_synthetic_file(n: usize, seed: u64, path: &Path) -> anyhow::Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    write_synthetic_csv(n, seed, std::io::BufWriter::new(file))
        .with_context(|| format!("writing {}", path.display()))
}

async fn seed_from(config: &Config, reader: impl Read, source: &str) -> anyhow::Result<()> {
    let db = crate::db::connect(&config.database_url, 2).await?;
    crate::db::migrate(&db).await?;
    let report = import(&db, reader, &Progress::for_stderr())
        .await
        .map_err(|e| anyhow::anyhow!("{source}: {e}"))?;
    println!("{report}");
    db.close().await.ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_say_what_happened() {
        let mut report = ImportReport {
            movies_in_input: 24,
            duplicates: 1,
            added: LoadSummary {
                movies: 24,
                genres: 16,
                actors: 300,
                languages: 4,
                countries: 6,
                already_present: 0,
            },
            seconds: 0.5,
        };
        assert_eq!(
            report.to_string(),
            "Added 24 movies, 16 genres, 300 actors, 4 languages and 6 countries in 0.50 s.\n\
             1 later duplicate rows (same name and date) were dropped."
        );
        report.added = LoadSummary {
            already_present: 24,
            ..Default::default()
        };
        report.duplicates = 0;
        assert_eq!(
            report.to_string(),
            "Nothing to add: all 24 movies of the input are already in the catalog (0.50 s)."
        );
    }
}
