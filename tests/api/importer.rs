//! `theater seed`: the importer's rules, on SQLite and PostgreSQL. The shared IMDb samples are used
//! when `../shared/data` is present (skipped with a printed reason otherwise); every rule also has an
//! inline CSV of its own.

use std::path::PathBuf;

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use theater::movies::import::{
    ImportError, ImportReport, ParseError, Progress, import, seed_synthetic_in_chunks,
    write_synthetic_csv,
};

use crate::movies::movie_names;
use crate::{
    db_tests,
    helpers::{Backend, TestApp, json, names, spawn_app},
};

const HEADER: &str =
    "names,date_x,score,genre,overview,crew,orig_title,status,orig_lang,budget_x,revenue,country\n";

fn shared_sample(name: &str) -> Option<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) => {
            eprintln!("skipped: {} is not available ({e})", path.display());
            None
        }
    }
}

/// An app with the shared sample `name` imported, and the import's report; `None` (with the reason
/// printed) when the sample is not available.
async fn spawn_with_sample(backend: Backend, name: &str) -> Option<(TestApp, ImportReport)> {
    let csv = shared_sample(name)?;
    let app = spawn_app(backend).await;
    let report = app.import(&csv).await.unwrap();
    Some((app, report))
}

/// An app whose catalog holds `rows` (CSV lines after [`HEADER`]), imported.
async fn spawn_with_rows(backend: Backend, rows: &str) -> TestApp {
    let app = spawn_app(backend).await;
    app.import(&format!("{HEADER}{rows}")).await.unwrap();
    app
}

impl TestApp {
    async fn import(&self, csv: &str) -> Result<ImportReport, ImportError> {
        import(&self.db, csv.as_bytes(), &Progress::Silent).await
    }

    async fn scalar(&self, sql: &str) -> Value {
        let backend = self.db.get_database_backend();
        let rows = self
            .db
            .query_all_raw(Statement::from_string(backend, sql.to_owned()))
            .await
            .unwrap();
        let values: Vec<Value> = rows
            .iter()
            .map(|r| {
                r.try_get_by_index::<String>(0)
                    .map(Value::from)
                    .or_else(|_| r.try_get_by_index::<i64>(0).map(Value::from))
                    .or_else(|_| r.try_get_by_index::<i32>(0).map(Value::from))
                    .or_else(|_| r.try_get_by_index::<Option<String>>(0).map(Value::from))
                    .unwrap()
            })
            .collect();
        Value::from(values)
    }

    /// Asserts what [`Self::scalar`] returns for `sql`.
    async fn assert_scalar(&self, sql: &str, expected: Value) {
        assert_eq!(self.scalar(sql).await, expected, "{sql}");
    }

    async fn table_counts(&self) -> Value {
        let mut counts = serde_json::Map::new();
        for table in [
            "movies",
            "genres",
            "actors",
            "languages",
            "countries",
            "movies_genres",
            "actors_movies",
            "movies_languages",
        ] {
            let count = self.scalar(&format!("SELECT COUNT(*) FROM {table}")).await;
            counts.insert(table.into(), count[0].clone());
        }
        Value::Object(counts)
    }

    /// The movie's detail through the API, found by name.
    async fn detail_by_name(&self, name: &str) -> Value {
        let id = self
            .scalar(&format!(
                "SELECT id FROM movies WHERE name = '{}'",
                name.replace('\'', "''")
            ))
            .await;
        let (status, detail) = json(
            self.get(&format!("/api/v1/theater/movies/{}/", id[0]))
                .await,
        )
        .await;
        assert_eq!(status, 200, "{name}: {detail}");
        detail
    }
}

async fn shared_preprocessed_sample_loads(backend: Backend) {
    let Some((app, report)) =
        spawn_with_sample(backend, "imdb_movies_sample_preprocessed.csv").await
    else {
        return;
    };
    assert_eq!(report.added.movies, 24);
    assert_eq!(report.duplicates, 0);
    assert_eq!(report.added.countries, 6);
    assert_eq!(report.added.languages, 4);
    let counts = app.table_counts().await;
    assert_eq!(counts["movies"], 24);
    assert_eq!(counts["countries"], 6);

    let creed = app.detail_by_name("Creed III").await;
    assert_eq!(creed["date"], "2023-03-02");
    assert_eq!(creed["score"], json!(73.0));
    assert_eq!(creed["budget"], json!(75000000.0));
    assert_eq!(creed["revenue"], json!(271616668.0));
    assert_eq!(creed["status"], "Released");
    assert_eq!(
        creed["country"],
        json!({"id": creed["country"]["id"], "code": "AU", "name": "Australia"})
    );
    assert_eq!(names(&creed["genres"]), ["Action", "Drama"]);
    assert_eq!(names(&creed["languages"]), ["English"]);
    assert!(names(&creed["actors"]).contains(&"MichaelB.Jordan".to_owned()));
    assert_eq!(creed["actors"].as_array().unwrap().len(), 18);
    let mummies = app.detail_by_name("Mummies").await;
    assert_eq!(names(&mummies["languages"]), ["Castilian", "Spanish"]);
    let passion = app.detail_by_name("The Passion of the Christ").await;
    assert_eq!(passion["date"], "2004-02-25");

    // The raw sample holds the same movies: nothing is added, and the report says so.
    let Some(raw) = shared_sample("imdb_movies_sample_raw.csv") else {
        return;
    };
    let report = app.import(&raw).await.unwrap();
    assert_eq!(report.added.movies, 0);
    assert_eq!(report.added.already_present, 6);
    assert_eq!(report.duplicates, 1);
    assert!(report.to_string().starts_with("Nothing to add"), "{report}");
    assert_eq!(app.table_counts().await, counts);
}

async fn shared_raw_sample_keeps_actors_only(backend: Backend) {
    let Some((app, report)) = spawn_with_sample(backend, "imdb_movies_sample_raw.csv").await else {
        return;
    };
    assert_eq!(report.added.movies, 6);
    assert_eq!(report.duplicates, 1);
    let creed = app.detail_by_name("Creed III").await;
    assert_eq!(
        names(&creed["actors"]),
        [
            "Jonathan Majors",
            "Michael B. Jordan",
            "Phylicia Rashād",
            "Tessa Thompson",
            "Wood Harris"
        ]
    );
    // The first of the duplicate rows is the one kept.
    assert!(
        creed["overview"]
            .as_str()
            .unwrap()
            .starts_with("After dominating")
    );
    assert_eq!(creed["date"], "2023-03-02");
    assert_eq!(creed["status"], "Released");
    let exorcist = app.detail_by_name("The Exorcist").await;
    // "María Evoli, Ofelia, Diana Bracho, , Tina Romero, Julia": an empty role is still a role.
    assert_eq!(
        names(&exorcist["actors"]),
        ["Diana Bracho", "María Evoli", "Tina Romero"]
    );
    assert_eq!(names(&exorcist["languages"]), ["Castilian", "Spanish"]);
    assert_eq!(exorcist["country"]["name"], "Mexico");
    let gold = app.detail_by_name("Gold Run").await;
    assert_eq!(gold["revenue"], json!(420430064.8));
    assert_eq!(names(&gold["languages"]), ["Norwegian"]);
}

async fn both_dialects_and_header_variants_give_the_same_catalog(backend: Backend) {
    let raw = format!(
        "{HEADER}Creed III,03/02/2023 ,73.0,\"Drama,\u{a0}Action\",\" The fight. \",\"Michael B. Jordan, Adonis Creed, Tessa Thompson, Bianca Taylor\",Creed III, Released,\" Spanish, Castilian\",75000000.0,271616668.0,AU\n"
    );
    let preprocessed = "name,date,score,genre,overview,crew,orig_title,status,orig_lang,budget,revenue,country\n\
        Creed III,2023-03-02,73.0,\"Drama,Action\",The fight.,\"Michael B. Jordan,Tessa Thompson\",Creed III,Released,\"Spanish,Castilian\",75000000.0,271616668.0,au\n";
    let reordered = "country,revenue,budget_x,orig_lang,status,crew,overview,genre,score,date_x,names\n\
        AU,271616668.0,75000000.0,\"Spanish,Castilian\",Released,\"Michael B. Jordan,Tessa Thompson\",The fight.,\"Drama,Action\",73.0,2023-03-02,Creed III\n";
    let mut details = Vec::new();
    for csv in [raw.as_str(), preprocessed, reordered] {
        let app = spawn_app(backend.clone()).await;
        let report = app.import(csv).await.unwrap();
        assert_eq!(report.added.movies, 1, "{csv}");
        let mut detail = app.detail_by_name("Creed III").await;
        for list in ["genres", "actors", "languages"] {
            detail[list] = json!(names(&detail[list]));
        }
        details.push(detail);
    }
    assert_eq!(details[0], details[1]);
    assert_eq!(details[1], details[2]);
    assert_eq!(details[0]["overview"], "The fight.");
    assert_eq!(details[0]["genres"], json!(["Action", "Drama"]));
    assert_eq!(
        details[0]["actors"],
        json!(["Michael B. Jordan", "Tessa Thompson"])
    );
    assert_eq!(details[0]["languages"], json!(["Castilian", "Spanish"]));
}

async fn later_duplicates_are_dropped(backend: Backend) {
    let app = spawn_app(backend).await;
    let csv = format!(
        "{HEADER}Twice,2020-01-01,50.0,Drama,first,A,Twice,Released,English,1.0,1.0,US\n\
         Other,2020-01-01,50.0,Drama,other,B,Other,Released,English,1.0,1.0,US\n\
         Twice ,2020-01-01,99.0,Comedy,second,C,Twice,Released,French,2.0,2.0,FR\n\
         Twice,2020-01-02,50.0,Drama,another day,A,Twice,Released,English,1.0,1.0,US\n"
    );
    let report = app.import(&csv).await.unwrap();
    assert_eq!((report.added.movies, report.duplicates), (3, 1));
    assert!(report.to_string().contains("1 later duplicate rows"));
    let overviews = app
        .scalar("SELECT overview FROM movies WHERE name = 'Twice' ORDER BY date")
        .await;
    assert_eq!(overviews, json!(["first", "another day"]));
    // The dropped row's genre, language and country were not created.
    app.assert_scalar("SELECT name FROM genres", json!(["Drama"]))
        .await;
    app.assert_scalar("SELECT code FROM countries", json!(["US"]))
        .await;
}

async fn bad_rows_abort_with_line_numbers_and_change_nothing(backend: Backend) {
    let app = spawn_with_rows(
        backend,
        "Before,2020-01-01,50.0,Drama,o,A,Before,Released,English,1.0,1.0,US\n",
    )
    .await;
    let before = app.table_counts().await;
    let csv = format!(
        "{HEADER}Fine,2021-01-01,50.0,Horror,o,New Actor,Fine,Released,Klingon,1.0,1.0,ZZ\n\
         \"Two\nlines\",2021-01-01,101.0,Drama,o,A,T,Released,English,1.0,1.0,US\n\
         Rumor,2021-01-01,50.0,Drama,o,A,R,Rumored,English,1.0,1.0,US\n\
         Broke,2021-01-01,50.0,Drama,o,A,B,Released,English,-1.0,1.0,US\n\
         Loss,2021-01-01,50.0,Drama,o,A,L,Released,English,1.0,-1.0,US\n\
         Where,2021-01-01,50.0,Drama,o,A,W,Released,English,1.0,1.0,USAX\n\
         When,13/45/2021,50.0,Drama,o,A,W,Released,English,1.0,1.0,US\n\
         Score,2021-01-01,high,Drama,o,A,S,Released,English,1.0,1.0,US\n\
         Short,2021-01-01,50.0\n"
    );
    let Err(ImportError::Parse(ParseError::BadRows(rows))) = app.import(&csv).await else {
        panic!("expected bad rows");
    };
    let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, [3, 5, 6, 7, 8, 9, 10, 11]);
    let reasons: Vec<&str> = rows.iter().map(|r| r.reason.as_str()).collect();
    let starts = [
        "score: 101.0",
        "status: \"Rumored\"",
        "budget_x: -1.0",
        "revenue: -1.0",
        "country: \"USAX\"",
        "date_x: \"13/45/2021\"",
        "score: \"high\"",
    ];
    for (reason, start) in reasons.iter().zip(starts) {
        assert!(reason.starts_with(start), "{start:?}: {reason}");
    }
    assert!(reasons[0].contains("Input should be less than or equal to 100"));
    assert!(reasons[7].contains("3 fields"), "{}", reasons[7]);
    let message = ImportError::Parse(ParseError::BadRows(rows)).to_string();
    assert!(message.starts_with("8 bad rows; nothing was imported:\n  line 3: score"));
    assert_eq!(app.table_counts().await, before);
}

async fn a_second_run_adds_nothing_and_says_so(backend: Backend) {
    let app = spawn_app(backend).await;
    let csv = format!(
        "{HEADER}One,2020-01-01,50.0,\"Drama,War\",o,\"A,B\",One,Released,English,1.0,1.0,US\n\
         Two,2020-01-01,50.0,Drama,o,\"B,C\",Two,Post Production,English,1.0,1.0,XK\n"
    );
    let first = app.import(&csv).await.unwrap();
    assert_eq!(first.added.movies, 2);
    assert_eq!(
        (
            first.added.genres,
            first.added.actors,
            first.added.languages,
            first.added.countries
        ),
        (2, 3, 1, 2)
    );
    let counts = app.table_counts().await;
    let second = app.import(&csv).await.unwrap();
    assert_eq!(second.added.movies, 0);
    assert_eq!(second.added.already_present, 2);
    assert_eq!(
        second.to_string().split(" (").next().unwrap(),
        "Nothing to add: all 2 movies of the input are already in the catalog"
    );
    assert_eq!(app.table_counts().await, counts);
    // A file that overlaps adds only what is new, reusing existing rows.
    let more = format!(
        "{HEADER}Two,2020-01-01,50.0,Drama,o,C,Two,Released,English,1.0,1.0,XK\n\
         Three,2020-01-01,50.0,Drama,o,\"C,D\",Three,In Production,English,1.0,1.0,US\n"
    );
    let third = app.import(&more).await.unwrap();
    assert_eq!((third.added.movies, third.added.already_present), (1, 1));
    assert_eq!((third.added.actors, third.added.genres), (1, 0));
    // Codes outside ISO 3166 keep no name.
    for (code, name) in [
        ("XK", json!(null)),
        ("US", json!("United States of America")),
    ] {
        let sql = format!("SELECT name FROM countries WHERE code = '{code}'");
        app.assert_scalar(&sql, json!([name])).await;
    }
}

async fn imported_rows_share_lookups_with_the_api(backend: Backend) {
    let app = spawn_with_rows(
        backend,
        "Imported,2020-01-01,50.0,Science Fiction,o,Tom Cruise,I,Released,English,1.0,1.0,US\n",
    )
    .await;
    let moderator = app
        .insert_user(
            "moderator@example.com",
            theater::auth::Group::Moderator,
            true,
        )
        .await;
    let (status, created) = json(
        app.client
            .post(app.url("/api/v1/theater/movies/"))
            .header("Authorization", app.bearer(moderator))
            .json(&json!({"name": "Posted", "date": "2021-01-01", "score": 1, "overview": "o",
                    "status": "Released", "budget": 1, "revenue": 1, "country": "us",
                    "genres": ["science fiction"], "actors": ["tom cruise"], "languages": ["english"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["country"]["name"], "United States of America");
    let counts = app.table_counts().await;
    assert_eq!(
        (
            &counts["genres"],
            &counts["actors"],
            &counts["languages"],
            &counts["countries"]
        ),
        (&json!(1), &json!(1), &json!(1), &json!(1))
    );
}

async fn synthetic_catalogs_are_deterministic_and_load(backend: Backend) {
    let generate = |n, seed| {
        let mut out = Vec::new();
        write_synthetic_csv(n, seed, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    };
    let csv = generate(400, 9);
    assert_eq!(csv, generate(400, 9));
    assert_ne!(csv, generate(400, 10));
    assert!(csv.starts_with(HEADER));

    let app = spawn_app(backend).await;
    let report = app.import(&csv).await.unwrap();
    assert_eq!(report.added.movies, 400);
    assert_eq!(report.duplicates, 0);
    assert!(report.added.genres > 10 && report.added.actors > 500);
    let (status, page) = json(app.get("/api/v1/theater/movies/?per_page=20").await).await;
    assert_eq!(status, 200);
    assert_eq!(page["total_items"], 400);
    assert_eq!(page["total_pages"], 20);
    let first = &page["movies"][0];
    let (status, detail) = json(
        app.get(&format!("/api/v1/theater/movies/{}/", first["id"]))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(detail["name"], first["name"]);
    assert!(!detail["genres"].as_array().unwrap().is_empty());
    assert!(!detail["actors"].as_array().unwrap().is_empty());
    // Loading the same catalog again adds nothing.
    assert_eq!(app.import(&csv).await.unwrap().added.movies, 0);
}

/// After a bulk load PostgreSQL's planner has statistics of the loaded tables, not of empty ones;
/// SQLite gets none on purpose (STAT4 samples make it re-prepare statements: see `load.rs`).
async fn an_import_refreshes_planner_statistics(backend: Backend) {
    let app = spawn_with_rows(
        backend.clone(),
        "One,2020-01-01,50.0,\"Drama,War\",o,\"A,B\",One,Released,English,1.0,1.0,US\n",
    )
    .await;
    let (sql, expected) = match backend {
        Backend::Sqlite => (
            "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'sqlite_stat%'",
            json!([0]),
        ),
        Backend::Postgres(_) => (
            "SELECT COUNT(*) FROM pg_stat_user_tables \
             WHERE relname = 'actors_movies' AND schemaname = current_schema() \
             AND last_analyze IS NOT NULL",
            json!([1]),
        ),
    };
    app.assert_scalar(sql, expected).await;
}

/// The raw file's quirks (curly apostrophes, a trailing-space date, multi-valued languages, a
/// dropped duplicate) search like any text: every movie once, by its words, stems and prefixes.
async fn the_raw_sample_searches_well(backend: Backend) {
    let Some((app, _)) = spawn_with_sample(backend, "imdb_movies_sample_raw.csv").await else {
        return;
    };
    let found = |search: &'static str| {
        let app = &app;
        async move {
            app.search_page(search)
                .await
                .map_or_else(Vec::new, |page| movie_names(&page))
        }
    };
    let cases: [(&str, &[&str]); 9] = [
        ("creed", &["Creed III"]),
        ("boxing%20prodigy", &["Creed III"]),
        ("mummy", &["Mummies"]),
        (
            "avatar:%20the%20WAY%20of%20wat",
            &["Avatar: The Way of Water"],
        ),
        ("isn%27t%20responsib", &["Gold Run"]),
        ("isn%E2%80%99t%20norwegian", &["Gold Run"]),
        ("nazareth", &["The Passion of the Christ"]),
        ("SAN%20RAM%C3%93N", &["The Exorcist"]),
        ("duplicate", &[]),
    ];
    for (search, expected) in cases {
        assert_eq!(found(search).await, expected, "{search}");
    }
    app.assert_scalar("SELECT COUNT(*) FROM movie_search", json!([6]))
        .await;
}

/// `theater seed --synthetic N` loads in chunks (bounded memory): the same catalog as the CSV
/// `--synthetic N FILE` writes, imported whole, and searchable.
async fn a_chunked_synthetic_seed_is_the_whole_catalog(backend: Backend) {
    let whole = spawn_app(backend.clone()).await;
    let mut csv = Vec::new();
    write_synthetic_csv(1_200, 11, &mut csv).unwrap();
    let expected = whole
        .import(&String::from_utf8(csv).unwrap())
        .await
        .unwrap();

    let chunked = spawn_app(backend).await;
    let report = seed_synthetic_in_chunks(&chunked.db, 1_200, 11, 500, &Progress::Silent)
        .await
        .unwrap();
    assert_eq!(report.added.movies, 1_200);
    assert_eq!(report.added, expected.added);
    assert_eq!(chunked.table_counts().await, whole.table_counts().await);
    let names = "SELECT name FROM movies ORDER BY id";
    assert_eq!(chunked.scalar(names).await, whole.scalar(names).await);
    for table in ["movie_search", "actor_search"] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        assert_eq!(
            chunked.scalar(&sql).await,
            whole.scalar(&sql).await,
            "{table}"
        );
    }
    // A second run adds nothing.
    let again = seed_synthetic_in_chunks(&chunked.db, 1_200, 11, 500, &Progress::Silent)
        .await
        .unwrap();
    assert_eq!(
        (again.added.movies, again.added.already_present),
        (0, 1_200)
    );
}

db_tests!(
    a_chunked_synthetic_seed_is_the_whole_catalog,
    an_import_refreshes_planner_statistics,
    shared_preprocessed_sample_loads,
    shared_raw_sample_keeps_actors_only,
    the_raw_sample_searches_well,
    both_dialects_and_header_variants_give_the_same_catalog,
    later_duplicates_are_dropped,
    bad_rows_abort_with_line_numbers_and_change_nothing,
    a_second_run_adds_nothing_and_says_so,
    imported_rows_share_lookups_with_the_api,
    synthetic_catalogs_are_deterministic_and_load,
);

/// The command itself: `--synthetic N PATH` writes the file, `seed PATH` loads it, `--synthetic N`
/// loads directly (SQLite file; the logic is shared with the tests above).
#[tokio::test]
async fn seed_command_writes_and_loads() {
    use theater::{config::Config, movies::import::SeedArgs};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/seed.db", dir.path().display());
    let data_dir = dir.path().display().to_string();
    let config = || {
        Config::from_lookup(|k| match k {
            "DATABASE_URL" => Some(url.clone()),
            "DATA_DIR" => Some(data_dir.clone()),
            _ => None,
        })
        .unwrap()
    };
    // `theater seed [PATH] [--synthetic N] [--seed S]`.
    let seed = |path: Option<PathBuf>, synthetic: Option<usize>, seed: u64| {
        let args = SeedArgs {
            path,
            synthetic,
            seed,
            community: false,
        };
        theater::movies::import::seed_command(config(), args)
    };
    let path = dir.path().join("synthetic.csv");
    seed(Some(path.clone()), Some(30), 5).await.unwrap();
    let mut expected = Vec::new();
    write_synthetic_csv(30, 5, &mut expected).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), expected);

    seed(Some(path), None, 42).await.unwrap();
    seed(None, Some(10), 6).await.unwrap();
    let db = theater::db::connect(&url, 1).await.unwrap();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) FROM movies",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get_by_index::<i64>(0).unwrap(), 40);

    let missing = seed(Some(dir.path().join("nope.csv")), None, 42)
        .await
        .unwrap_err();
    assert!(missing.to_string().contains("nope.csv"), "{missing}");
}
