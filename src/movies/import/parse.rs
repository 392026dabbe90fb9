//! Reading an IMDb movies CSV into validated rows, before anything touches the database.
//!
//! Two dialects of the published data set exist (see `../shared/README.md`):
//! - *raw*: US dates with a trailing space (`03/02/2023 `), `crew` as `actor, role, actor, role, …`
//!   pairs (roles are not actors; either member may be empty), leading spaces in `status`,
//!   `orig_title` and `orig_lang`;
//! - *preprocessed*: ISO dates, `crew` already a list of names.
//!
//! The dialect is recognised from the first row's date, and every later row must use the same date
//! format (a file mixing both cannot be read reliably, since `crew` means different things). Headers
//! may say `names,date_x,…,budget_x` or `name,date,…,budget`, in any column order.
//!
//! Every value is checked against the API's own bounds (score 0–100, budget and revenue not negative,
//! a known status, names of at most 255 characters, release year at most next year), so the catalog
//! never holds a movie the API would have refused. All bad rows are reported with their line numbers.

use std::{collections::HashSet, fmt, io::Read};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::movies::domain::{
    Budget, CountryCode, MovieStatus, NAME_MAX_CHARS, ReleaseDate, Revenue, Score,
};

/// How many bad rows an error message lists before summarising the rest.
const LISTED_BAD_ROWS: usize = 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Raw,
    Preprocessed,
}

impl Dialect {
    fn date_format(self) -> (&'static str, &'static str) {
        match self {
            Self::Raw => ("%m/%d/%Y", "MM/DD/YYYY (raw dialect)"),
            Self::Preprocessed => ("%Y-%m-%d", "YYYY-MM-DD (preprocessed dialect)"),
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Raw => "raw",
            Self::Preprocessed => "preprocessed",
        })
    }
}

/// One movie of the file, normalised and within the API's bounds.
#[derive(Clone, Debug, PartialEq)]
pub struct MovieRow {
    /// Line of the file where the record starts (1 is the header).
    pub line: u64,
    pub name: String,
    pub date: NaiveDate,
    pub score: f64,
    pub overview: String,
    pub status: MovieStatus,
    pub budget: Decimal,
    pub revenue: f64,
    pub country: CountryCode,
    pub genres: Vec<String>,
    pub actors: Vec<String>,
    pub languages: Vec<String>,
}

/// A file's movies, later duplicates removed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParsedCsv {
    /// `None` for a file without data rows.
    pub dialect: Option<Dialect>,
    pub rows: Vec<MovieRow>,
    /// Later rows with the `(name, date)` of an earlier one, dropped.
    pub duplicates: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRow {
    pub line: u64,
    pub reason: String,
}

/// Why a file cannot be imported. Nothing is written when any of these happens.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("line 1: the header lacks the column(s) {}", .0.join(", "))]
    MissingColumns(Vec<String>),
    #[error("the file is empty (no header line)")]
    Empty,
    #[error("{}", describe_bad_rows(.0))]
    BadRows(Vec<BadRow>),
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
}

fn describe_bad_rows(rows: &[BadRow]) -> String {
    let mut text = format!(
        "{} bad row{}; nothing was imported:",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    );
    for row in rows.iter().take(LISTED_BAD_ROWS) {
        text.push_str(&format!("\n  line {}: {}", row.line, row.reason));
    }
    if rows.len() > LISTED_BAD_ROWS {
        text.push_str(&format!("\n  … and {} more", rows.len() - LISTED_BAD_ROWS));
    }
    text
}

/// Column positions, from the header.
struct Columns {
    name: usize,
    date: usize,
    score: usize,
    genre: usize,
    overview: usize,
    crew: usize,
    status: usize,
    orig_lang: usize,
    budget: usize,
    revenue: usize,
    country: usize,
}

impl Columns {
    fn from_header(header: &csv::StringRecord) -> Result<Self, ParseError> {
        let names: Vec<String> = header
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_ascii_lowercase())
            .collect();
        let mut missing = Vec::new();
        let mut find = |wanted: &[&str]| {
            names
                .iter()
                .position(|n| wanted.contains(&n.as_str()))
                .unwrap_or_else(|| {
                    missing.push(wanted.join(" or "));
                    0
                })
        };
        let columns = Self {
            name: find(&["names", "name"]),
            date: find(&["date_x", "date"]),
            score: find(&["score"]),
            genre: find(&["genre"]),
            overview: find(&["overview"]),
            crew: find(&["crew"]),
            status: find(&["status"]),
            orig_lang: find(&["orig_lang"]),
            budget: find(&["budget_x", "budget"]),
            revenue: find(&["revenue"]),
            country: find(&["country"]),
        };
        if missing.is_empty() {
            Ok(columns)
        } else {
            Err(ParseError::MissingColumns(missing))
        }
    }
}

/// Non-breaking spaces become spaces (the published genres read `Drama,\u{a0}Action`), then padding
/// goes.
fn clean(s: &str) -> String {
    s.replace('\u{a0}', " ").trim().to_owned()
}

/// A comma-separated list: cleaned items, empty ones dropped, each name once (first position kept).
fn split_list(s: &str) -> Vec<String> {
    dedup(s.split(',').map(clean).filter(|s| !s.is_empty()))
}

fn dedup(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = HashSet::new();
    items.filter(|i| seen.insert(i.clone())).collect()
}

/// Raw `crew`: `actor, role, actor, role, …`; only the actors (even positions) are kept.
fn raw_actors(s: &str) -> Vec<String> {
    dedup(s.split(',').step_by(2).map(clean).filter(|s| !s.is_empty()))
}

fn check_names(field: &str, names: &[String]) -> Result<(), String> {
    match names.iter().find(|n| n.chars().count() > NAME_MAX_CHARS) {
        Some(long) => Err(format!(
            "{field}: {long:?} is longer than {NAME_MAX_CHARS} characters"
        )),
        None => Ok(()),
    }
}

fn number(field: &str, raw: &str) -> Result<f64, String> {
    let cleaned = clean(raw);
    match cleaned.parse::<f64>() {
        Ok(n) if n.is_finite() => Ok(n),
        _ => Err(format!("{field}: {cleaned:?} is not a number")),
    }
}

/// Reads a whole CSV. Returns every movie (later duplicates of `(name, date)` dropped) or every bad
/// row.
pub fn parse_csv(reader: impl Read) -> Result<ParsedCsv, ParseError> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(reader);
    let header = match csv.headers() {
        Ok(h) if h.iter().any(|f| !f.trim().is_empty()) => h.clone(),
        Ok(_) => return Err(ParseError::Empty),
        Err(e) => return Err(csv_error(e)),
    };
    let columns = Columns::from_header(&header)?;

    let mut parsed = ParsedCsv::default();
    let mut bad = Vec::new();
    let mut seen: HashSet<(String, NaiveDate)> = HashSet::new();
    let mut record = csv::StringRecord::new();
    loop {
        let line = csv.position().line();
        match csv.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(line, csv::Position::line);
                match e.into_kind() {
                    csv::ErrorKind::Io(e) => return Err(ParseError::Io(e)),
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => bad.push(BadRow {
                        line,
                        reason: format!("{len} fields where the header has {expected_len}"),
                    }),
                    csv::ErrorKind::Utf8 { .. } => bad.push(BadRow {
                        line,
                        reason: "not valid UTF-8".into(),
                    }),
                    other => bad.push(BadRow {
                        line,
                        reason: format!("{other:?}"),
                    }),
                }
                continue;
            }
        }
        let line = record.position().map_or(line, csv::Position::line);
        // A blank line (or one of only commas) is no movie.
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let dialect = *parsed
            .dialect
            .get_or_insert_with(|| detect_dialect(&record[columns.date]));
        match parse_row(&record, &columns, dialect, line, &mut seen) {
            Ok(Some(row)) => parsed.rows.push(row),
            Ok(None) => parsed.duplicates += 1,
            Err(reason) => bad.push(BadRow { line, reason }),
        }
    }
    if bad.is_empty() {
        Ok(parsed)
    } else {
        Err(ParseError::BadRows(bad))
    }
}

fn csv_error(e: csv::Error) -> ParseError {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => ParseError::Io(e),
        other => ParseError::BadRows(vec![BadRow {
            line: 1,
            reason: format!("unreadable header: {other:?}"),
        }]),
    }
}

fn detect_dialect(date: &str) -> Dialect {
    if date.contains('/') {
        Dialect::Raw
    } else {
        Dialect::Preprocessed
    }
}

/// One record; `Ok(None)` for a later duplicate.
fn parse_row(
    record: &csv::StringRecord,
    columns: &Columns,
    dialect: Dialect,
    line: u64,
    seen: &mut HashSet<(String, NaiveDate)>,
) -> Result<Option<MovieRow>, String> {
    let name = clean(&record[columns.name]);
    if name.is_empty() {
        return Err("names: empty".into());
    }
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(format!("names: longer than {NAME_MAX_CHARS} characters"));
    }
    let raw_date = clean(&record[columns.date]);
    let (format, described) = dialect.date_format();
    let date = NaiveDate::parse_from_str(&raw_date, format)
        .map_err(|_| format!("date_x: {raw_date:?} is not a date in the format {described}"))?;
    // Later duplicates are dropped whatever else they hold: the first row is the one imported.
    if !seen.insert((name.clone(), date)) {
        return Ok(None);
    }
    let date = ReleaseDate::parse(date)
        .map_err(|e| format!("date_x: {}", e.msg.trim_start_matches("Value error, ")))?
        .get();
    let bound = |field: &str, raw: &str, msg: String| format!("{field}: {raw} — {msg}");
    let raw_score = clean(&record[columns.score]);
    let score = Score::parse(number("score", &raw_score)?)
        .map_err(|e| bound("score", &raw_score, e.msg))?
        .get();
    let raw_budget = clean(&record[columns.budget]);
    let budget = Budget::parse(number("budget_x", &raw_budget)?)
        .map_err(|e| bound("budget_x", &raw_budget, e.msg))?
        .get();
    let raw_revenue = clean(&record[columns.revenue]);
    let revenue = Revenue::parse(number("revenue", &raw_revenue)?)
        .map_err(|e| bound("revenue", &raw_revenue, e.msg))?
        .get();
    let raw_status = clean(&record[columns.status]);
    let status = MovieStatus::parse(&raw_status).ok_or_else(|| {
        format!("status: {raw_status:?} is not one of Released, Post Production, In Production")
    })?;
    let raw_country = clean(&record[columns.country]);
    let country = CountryCode::parse(&raw_country)
        .map_err(|e| format!("country: {raw_country:?} — {}", e.msg))?;
    let genres = split_list(&record[columns.genre]);
    let languages = split_list(&record[columns.orig_lang]);
    let actors = match dialect {
        Dialect::Raw => raw_actors(&record[columns.crew]),
        Dialect::Preprocessed => split_list(&record[columns.crew]),
    };
    check_names("genre", &genres)?;
    check_names("crew", &actors)?;
    check_names("orig_lang", &languages)?;
    Ok(Some(MovieRow {
        line,
        name,
        date,
        score,
        overview: clean(&record[columns.overview]),
        status,
        budget,
        revenue,
        country,
        genres,
        actors,
        languages,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "names,date_x,score,genre,overview,crew,orig_title,status,orig_lang,budget_x,revenue,country\n";

    fn parse(body: &str) -> Result<ParsedCsv, ParseError> {
        parse_csv(format!("{HEADER}{body}").as_bytes())
    }

    fn bad_rows(body: &str) -> Vec<BadRow> {
        match parse(body) {
            Err(ParseError::BadRows(rows)) => rows,
            other => panic!("expected bad rows, got {other:?}"),
        }
    }

    #[test]
    fn raw_dialect_rows_are_normalised() {
        let parsed = parse(
            "Mummies,01/05/2023 ,70.0,\"Animation,\u{a0}Comedy\",Over.,\"Óscar Barberán, Thut (voice), , Nefer (voice), Luis Pérez Reina, \", Momias, Released,\" Spanish, Castilian\",12300000.0,34200000.0,au\n",
        )
        .unwrap();
        assert_eq!(parsed.dialect, Some(Dialect::Raw));
        let row = &parsed.rows[0];
        assert_eq!(row.line, 2);
        assert_eq!(row.date, NaiveDate::from_ymd_opt(2023, 1, 5).unwrap());
        assert_eq!(row.genres, ["Animation", "Comedy"]);
        assert_eq!(row.actors, ["Óscar Barberán", "Luis Pérez Reina"]);
        assert_eq!(row.languages, ["Spanish", "Castilian"]);
        assert_eq!(row.status, MovieStatus::Released);
        assert_eq!(row.country.as_str(), "AU");
        assert_eq!(row.budget, Decimal::from(12_300_000));
    }

    #[test]
    fn preprocessed_dialect_and_the_other_header() {
        let csv = "name,date,score,genre,overview,crew,orig_title,status,orig_lang,budget,revenue,country\n\
                   Creed III,2023-03-02,73.0,\"Drama,Action\",O,\"AdonisCreed,MichaelB.Jordan\",Creed III,Released,\"Spanish,Castilian\",75000000.0,271616668.0,AU\n";
        let parsed = parse_csv(csv.as_bytes()).unwrap();
        assert_eq!(parsed.dialect, Some(Dialect::Preprocessed));
        assert_eq!(parsed.rows[0].actors, ["AdonisCreed", "MichaelB.Jordan"]);
        assert_eq!(parsed.rows[0].languages, ["Spanish", "Castilian"]);
    }

    #[test]
    fn later_duplicates_are_dropped() {
        let parsed = parse(
            "A,2020-01-01,1,,first,,A,Released,English,1,1,US\n\
             B,2020-01-01,1,,other,,B,Released,English,1,1,US\n\
             A,2020-01-01,150,,second,,A,Nope,English,1,1,US\n",
        )
        .unwrap();
        assert_eq!(parsed.rows.len(), 2);
        assert_eq!(parsed.duplicates, 1);
        assert_eq!(parsed.rows[0].overview, "first");
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let rows = bad_rows(
            "Good,2020-01-01,1,,ok,,G,Released,English,1,1,US\n\
             \"Multi\nline\",2020-01-01,150,,o,,M,Released,English,1,1,US\n\
             Late,2020-01-02,1,,o,,L,Rumored,English,1,1,US\n\
             Raw,01/02/2020,1,,o,,R,Released,English,1,1,US\n\
             Short,2020-01-01\n\
             Poor,2020-01-03,1,,o,,P,Released,English,-5,1,USAX\n",
        );
        let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [3, 5, 6, 7, 8]);
        assert!(rows[0].reason.contains("score"), "{}", rows[0].reason);
        assert!(
            rows[0]
                .reason
                .contains("Input should be less than or equal to 100")
        );
        assert!(rows[1].reason.contains("\"Rumored\""));
        assert!(rows[2].reason.contains("YYYY-MM-DD"));
        assert!(rows[3].reason.contains("2 fields"));
        assert!(rows[4].reason.contains("budget_x"));
        let message = ParseError::BadRows(rows).to_string();
        assert!(message.starts_with("5 bad rows; nothing was imported:"));
        assert!(message.contains("\n  line 3: score: 150"));
    }

    #[test]
    fn a_missing_column_is_named() {
        let err = parse_csv("names,date_x,score\n".as_bytes()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("genre") && text.contains("budget_x or budget"),
            "{text}"
        );
        assert!(matches!(parse_csv("".as_bytes()), Err(ParseError::Empty)));
    }

    #[test]
    fn future_dates_and_long_names_are_refused() {
        let rows = bad_rows(&format!(
            "Future,2999-01-01,1,,o,,F,Released,English,1,1,US\n{},2020-01-01,1,,o,,L,Released,English,1,1,US\n",
            "x".repeat(256)
        ));
        assert!(rows[0].reason.contains("cannot be greater than"));
        assert!(rows[1].reason.contains("255"));
    }
}
