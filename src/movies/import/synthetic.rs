//! A synthetic IMDb-like catalog for scale work: N movies in the preprocessed dialect, the same bytes
//! for the same `(N, seed)` on every machine (ChaCha8 is a portable generator), with unique
//! `(name, date)` pairs and a realistic spread: 19 genres, ~40 languages, ~50 countries (one code
//! outside ISO 3166), ~15,000 actors of whom a few appear very often.

use std::{collections::HashSet, io::Write};

use rand::{Rng, SeedableRng, seq::SliceRandom};
use rand_chacha::ChaCha8Rng;

/// The generator's word lists, read from `synthetic_words.txt` (compiled in): data, not code.
struct Words {
    genres: Vec<&'static str>,
    languages: Vec<&'static str>,
    countries: Vec<&'static str>,
    first_names: Vec<&'static str>,
    last_names: Vec<&'static str>,
    adjectives: Vec<&'static str>,
    nouns: Vec<&'static str>,
    places: Vec<&'static str>,
}

fn words() -> &'static Words {
    static WORDS: std::sync::LazyLock<Words> =
        std::sync::LazyLock::new(|| Words::parse(include_str!("synthetic_words.txt")));
    &WORDS
}

impl Words {
    /// `[section]` headers, one entry per line; `#` lines and blank lines are skipped. The file is
    /// part of the binary, so a malformed one is a build mistake that the unit tests catch.
    fn parse(text: &'static str) -> Self {
        let mut sections: std::collections::HashMap<&str, Vec<&'static str>> = Default::default();
        let mut current = "";
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                Some(name) => current = name,
                None => sections.entry(current).or_default().push(line),
            }
        }
        let mut take = |name: &str| sections.remove(name).unwrap_or_default();
        Self {
            genres: take("genres"),
            languages: take("languages"),
            countries: take("countries"),
            first_names: take("first_names"),
            last_names: take("last_names"),
            adjectives: take("adjectives"),
            nouns: take("nouns"),
            places: take("places"),
        }
    }
}

const ROMAN: [&str; 8] = ["II", "III", "IV", "V", "VI", "VII", "VIII", "IX"];

/// The preprocessed dialect's header.
const HEADER: [&str; 12] = [
    "names",
    "date_x",
    "score",
    "genre",
    "overview",
    "crew",
    "orig_title",
    "status",
    "orig_lang",
    "budget_x",
    "revenue",
    "country",
];

/// Writes `n` synthetic movies as CSV.
pub fn write_synthetic_csv(n: usize, seed: u64, out: impl Write) -> csv::Result<()> {
    let mut catalog = SyntheticCatalog::new(n, seed);
    catalog.write_chunk(n, out)?;
    Ok(())
}

/// The synthetic catalog as a stream of CSV chunks, so that a million movies never sit in memory at
/// once: the generator keeps only a 64-bit fingerprint of each `(name, date)` it gave (8 MB per
/// million movies), to keep them unique.
pub struct SyntheticCatalog {
    rng: ChaCha8Rng,
    keys: HashSet<u64>,
    remaining: usize,
}

impl SyntheticCatalog {
    pub fn new(n: usize, seed: u64) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            keys: HashSet::with_capacity(n),
            remaining: n,
        }
    }

    /// Writes the header and the next `max` movies (fewer at the end); returns how many.
    pub fn write_chunk(&mut self, max: usize, out: impl Write) -> csv::Result<usize> {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(HEADER)?;
        let count = max.min(self.remaining);
        for _ in 0..count {
            let record = self.next_record();
            writer.write_record(&record)?;
        }
        self.remaining -= count;
        writer.flush()?;
        Ok(count)
    }

    fn next_record(&mut self) -> [String; 12] {
        let rng = &mut self.rng;
        let date = random_date(rng);
        let mut name = title(rng);
        // Rare clashes become sequels, which keeps (name, date) unique deterministically.
        let base = name.clone();
        let mut sequel = 0;
        while self.keys.contains(&fingerprint(&name, &date)) {
            name = match ROMAN.get(sequel) {
                Some(numeral) => format!("{base} {numeral}"),
                None => format!("{base} {}", sequel + 2),
            };
            sequel += 1;
        }
        self.keys.insert(fingerprint(&name, &date));

        let genres = pick_distinct(rng, &words().genres, 1, 4);
        let languages = pick_distinct(rng, &words().languages[..20], 1, 2);
        let mut crew: Vec<String> = (0..rng.gen_range(2..=8)).map(|_| actor(rng)).collect();
        crew.sort();
        crew.dedup();
        let country = words().countries[skewed(rng, words().countries.len())];
        let status = match rng.gen_range(0..100) {
            0..=89 => "Released",
            90..=94 => "Post Production",
            _ => "In Production",
        };
        let score = f64::from(rng.gen_range(200..=900)) / 10.0;
        let budget = f64::from(rng.gen_range(1..=3000u32)) * 100_000.0;
        let revenue = f64::from(rng.gen_range(0..=200_000u32)) * 10_000.0
            + f64::from(rng.gen_range(0..10)) / 10.0;
        let overview = overview(rng, &name, &crew);
        [
            name.clone(),
            date,
            format!("{score:.1}"),
            genres.join(","),
            overview,
            crew.join(","),
            name,
            status.to_owned(),
            languages.join(","),
            format!("{budget:.1}"),
            format!("{revenue:.1}"),
            country.to_owned(),
        ]
    }
}

/// FNV-1a of `name`, a NUL and `date`: portable and stable, unlike `std`'s hashers.
fn fingerprint(name: &str, date: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes().chain([0]).chain(date.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// An index in `0..len` that favours small indices (a few popular choices, a long tail).
fn skewed(rng: &mut ChaCha8Rng, len: usize) -> usize {
    let u: f64 = rng.r#gen();
    ((u * u * len as f64) as usize).min(len - 1)
}

fn random_date(rng: &mut ChaCha8Rng) -> String {
    let year = rng.gen_range(1950..=2025);
    let month = rng.gen_range(1..=12);
    let day = rng.gen_range(1..=28);
    format!("{year:04}-{month:02}-{day:02}")
}

fn title(rng: &mut ChaCha8Rng) -> String {
    let adjective = words().adjectives[rng.gen_range(0..words().adjectives.len())];
    let noun = words().nouns[rng.gen_range(0..words().nouns.len())];
    match rng.gen_range(0..6) {
        0 => format!("The {adjective} {noun}"),
        1 => format!("{adjective} {noun}"),
        2 => format!(
            "The {noun} of {}",
            words().places[rng.gen_range(0..words().places.len())]
        ),
        3 => format!(
            "{}'s {noun}",
            words().first_names[rng.gen_range(0..words().first_names.len())]
        ),
        4 => format!(
            "{adjective} {noun}: {}",
            words().nouns[rng.gen_range(0..words().nouns.len())]
        ),
        _ => format!(
            "A {noun} in {}",
            words().places[rng.gen_range(0..words().places.len())]
        ),
    }
}

fn actor(rng: &mut ChaCha8Rng) -> String {
    let first = words().first_names[skewed(rng, words().first_names.len())];
    let last = words().last_names[rng.gen_range(0..words().last_names.len())];
    format!("{first} {last}")
}

fn pick_distinct<'a>(
    rng: &mut ChaCha8Rng,
    from: &[&'a str],
    min: usize,
    max: usize,
) -> Vec<&'a str> {
    let count = rng.gen_range(min..=max);
    from.choose_multiple(rng, count).copied().collect()
}

fn overview(rng: &mut ChaCha8Rng, name: &str, crew: &[String]) -> String {
    let hero = crew.first().map_or("A stranger", String::as_str);
    let place = words().places[rng.gen_range(0..words().places.len())];
    let noun = words().nouns[rng.gen_range(0..words().nouns.len())].to_lowercase();
    let adjective = words().adjectives[rng.gen_range(0..words().adjectives.len())].to_lowercase();
    match rng.gen_range(0..3) {
        0 => format!(
            "When a {adjective} {noun} appears in {place}, {hero} must choose between duty and family."
        ),
        1 => format!(
            "{hero} returns to {place} to uncover the truth behind \"{name}\", a {adjective} legend that \
             refuses to die. Nothing is what it seems."
        ),
        _ => format!(
            "In {place}, a {adjective} {noun} changes everything. {hero} has one night to set it right, \
             and the clock is ticking."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::movies::import::parse::{Dialect, parse_csv};

    /// BLAKE2s-256 of `theater seed --synthetic 3000 --seed 7 FILE`, taken before the words moved to
    /// `synthetic_words.txt`.
    const GOLDEN_3000_SEED_7: &str =
        "9502e513ef7d0e22d725796bc551d9d5760b95409364351a6af1b4cec343b052";

    fn csv(n: usize, seed: u64) -> Vec<u8> {
        let mut out = Vec::new();
        write_synthetic_csv(n, seed, &mut out).unwrap();
        out
    }

    #[test]
    fn the_word_file_has_every_list_without_repeats() {
        let w = words();
        let lists = [
            ("genres", &w.genres, 19),
            ("languages", &w.languages, 40),
            ("countries", &w.countries, 50),
            ("first_names", &w.first_names, 120),
            ("last_names", &w.last_names, 125),
            ("adjectives", &w.adjectives, 40),
            ("nouns", &w.nouns, 50),
            ("places", &w.places, 20),
        ];
        for (name, list, len) in lists {
            assert_eq!(list.len(), len, "{name}");
            let distinct: HashSet<&&str> = list.iter().collect();
            assert_eq!(distinct.len(), len, "{name} repeats a word");
        }
    }

    /// The same catalog as when the words were constants in this file: a change to the word file
    /// changes every synthetic catalog (and the benchmarks' data), so it must be deliberate.
    #[test]
    fn the_catalog_is_unchanged_byte_for_byte() {
        use blake2::{Blake2s256, Digest};
        let digest = Blake2s256::digest(csv(3_000, 7));
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, GOLDEN_3000_SEED_7);
    }

    #[test]
    fn chunks_concatenate_to_the_whole_catalog() {
        let mut catalog = SyntheticCatalog::new(250, 7);
        let mut rows = Vec::new();
        loop {
            let mut chunk = Vec::new();
            if catalog.write_chunk(100, &mut chunk).unwrap() == 0 {
                break;
            }
            let text = String::from_utf8(chunk).unwrap();
            let (_, body) = text.split_once('\n').unwrap();
            rows.push(body.to_owned());
        }
        assert_eq!(rows.len(), 3);
        let whole = String::from_utf8(csv(250, 7)).unwrap();
        assert_eq!(whole.split_once('\n').unwrap().1, rows.concat());
    }

    #[test]
    fn is_deterministic_and_seed_dependent() {
        assert_eq!(csv(300, 7), csv(300, 7));
        assert_ne!(csv(300, 7), csv(300, 8));
        // A prefix of a larger catalog with the same seed is the smaller catalog.
        let small = csv(50, 7);
        assert!(csv(300, 7).starts_with(&small));
    }

    #[test]
    fn parses_as_the_preprocessed_dialect_without_duplicates() {
        let parsed = parse_csv(csv(2_000, 42).as_slice()).unwrap();
        assert_eq!(parsed.dialect, Some(Dialect::Preprocessed));
        assert_eq!(parsed.rows.len(), 2_000);
        assert_eq!(parsed.duplicates, 0);
        let genres: HashSet<&String> = parsed.rows.iter().flat_map(|r| &r.genres).collect();
        let countries: HashSet<&str> = parsed.rows.iter().map(|r| r.country.as_str()).collect();
        let actors: HashSet<&String> = parsed.rows.iter().flat_map(|r| &r.actors).collect();
        assert_eq!(genres.len(), words().genres.len());
        assert!(countries.len() > 30, "{}", countries.len());
        assert!(actors.len() > 3_000, "{}", actors.len());
    }

    #[test]
    fn empty_catalog_is_just_the_header() {
        assert_eq!(
            String::from_utf8(csv(0, 1)).unwrap(),
            "names,date_x,score,genre,overview,crew,orig_title,status,orig_lang,budget_x,revenue,country\n"
        );
    }
}
