//! A synthetic IMDb-like catalog for scale work: N movies in the preprocessed dialect, the same bytes
//! for the same `(N, seed)` on every machine (ChaCha8 is a portable generator), with unique
//! `(name, date)` pairs and a realistic spread: 19 genres, ~40 languages, ~50 countries (one code
//! outside ISO 3166), ~15,000 actors of whom a few appear very often.

use std::{collections::HashSet, io::Write};

use rand::{Rng, SeedableRng, seq::SliceRandom};
use rand_chacha::ChaCha8Rng;

const GENRES: [&str; 19] = [
    "Action",
    "Adventure",
    "Animation",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Family",
    "Fantasy",
    "History",
    "Horror",
    "Music",
    "Mystery",
    "Romance",
    "Science Fiction",
    "TV Movie",
    "Thriller",
    "War",
    "Western",
];

const LANGUAGES: [&str; 40] = [
    "English",
    "Spanish",
    "Castilian",
    "French",
    "German",
    "Japanese",
    "Korean",
    "Italian",
    "Portuguese",
    "Chinese",
    "Cantonese",
    "Hindi",
    "Russian",
    "Swedish",
    "Norwegian",
    "Danish",
    "Finnish",
    "Dutch",
    "Polish",
    "Turkish",
    "Thai",
    "Indonesian",
    "Tagalog",
    "Arabic",
    "Persian",
    "Hebrew",
    "Greek",
    "Czech",
    "Hungarian",
    "Romanian",
    "Ukrainian",
    "Tamil",
    "Telugu",
    "Malayalam",
    "Bengali",
    "Vietnamese",
    "Icelandic",
    "Catalan",
    "Basque",
    "Galician",
];

/// Alpha-2 codes; `XK` (Kosovo) is in common use but not in ISO 3166, so its name stays unknown.
const COUNTRIES: [&str; 50] = [
    "US", "AU", "GB", "FR", "DE", "JP", "KR", "IT", "ES", "MX", "BR", "AR", "CL", "CO", "CA", "IN",
    "CN", "HK", "TW", "RU", "SE", "NO", "DK", "FI", "NL", "BE", "PL", "TR", "TH", "ID", "PH", "IR",
    "IL", "GR", "CZ", "HU", "RO", "UA", "IE", "NZ", "ZA", "NG", "EG", "AT", "CH", "PT", "IS", "PE",
    "UY", "XK",
];

const FIRST_NAMES: [&str; 120] = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Christopher",
    "Lisa",
    "Daniel",
    "Nancy",
    "Matthew",
    "Betty",
    "Anthony",
    "Sandra",
    "Mark",
    "Margaret",
    "Donald",
    "Ashley",
    "Steven",
    "Kimberly",
    "Andrew",
    "Emily",
    "Paul",
    "Donna",
    "Joshua",
    "Michelle",
    "Kenneth",
    "Carol",
    "Kevin",
    "Amanda",
    "Brian",
    "Melissa",
    "George",
    "Deborah",
    "Timothy",
    "Stephanie",
    "Ronald",
    "Rebecca",
    "Jason",
    "Sharon",
    "Edward",
    "Laura",
    "Jeffrey",
    "Cynthia",
    "Ryan",
    "Amy",
    "Jacob",
    "Kathleen",
    "Gary",
    "Angela",
    "Nicholas",
    "Shirley",
    "Eric",
    "Brenda",
    "Jonathan",
    "Emma",
    "Stephen",
    "Anna",
    "Larry",
    "Pamela",
    "Justin",
    "Nicole",
    "Scott",
    "Samantha",
    "Brandon",
    "Katherine",
    "Benjamin",
    "Christine",
    "Samuel",
    "Helen",
    "Gregory",
    "Debra",
    "Alexander",
    "Rachel",
    "Patrick",
    "Carolyn",
    "Frank",
    "Janet",
    "Raymond",
    "Maria",
    "Jack",
    "Olivia",
    "Dennis",
    "Heather",
    "Jerry",
    "Diane",
    "Tyler",
    "Julie",
    "Aaron",
    "Joyce",
    "José",
    "Zoë",
    "Henrik",
    "Ingrid",
    "Hiroshi",
    "Yuki",
    "Mateo",
    "Lucía",
    "François",
    "Amélie",
    "Jörg",
    "Søren",
    "Priya",
    "Arjun",
    "Olumide",
    "Chen",
];

const LAST_NAMES: [&str; 125] = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Gomez",
    "Phillips",
    "Evans",
    "Turner",
    "Diaz",
    "Parker",
    "Cruz",
    "Edwards",
    "Collins",
    "Reyes",
    "Stewart",
    "Morris",
    "Morales",
    "Murphy",
    "Cook",
    "Rogers",
    "Gutierrez",
    "Ortiz",
    "Morgan",
    "Cooper",
    "Peterson",
    "Bailey",
    "Reed",
    "Kelly",
    "Howard",
    "Ramos",
    "Kim",
    "Cox",
    "Ward",
    "Richardson",
    "Watson",
    "Brooks",
    "Chavez",
    "Wood",
    "James",
    "Bennett",
    "Gray",
    "Mendoza",
    "Ruiz",
    "Hughes",
    "Price",
    "Alvarez",
    "Castillo",
    "Sanders",
    "Patel",
    "Myers",
    "Long",
    "Ross",
    "Foster",
    "Jimenez",
    "O'Brien",
    "McKenzie",
    "Nakamura",
    "Tanaka",
    "Yamamoto",
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Dubois",
    "Lefèvre",
    "Rossi",
    "Bianchi",
    "Kowalski",
    "Nowak",
    "Hansen",
    "Johansson",
    "Larsen",
    "Novák",
    "Horváth",
    "Popescu",
    "Papadopoulos",
    "Yılmaz",
    "Okafor",
    "Zhang",
];

const ADJECTIVES: [&str; 40] = [
    "Silent",
    "Last",
    "Broken",
    "Hidden",
    "Golden",
    "Dark",
    "Lost",
    "Eternal",
    "Crimson",
    "Frozen",
    "Burning",
    "Final",
    "Wild",
    "Secret",
    "Forgotten",
    "Endless",
    "Savage",
    "Quiet",
    "Shattered",
    "Hollow",
    "Midnight",
    "Electric",
    "Fallen",
    "Rising",
    "Distant",
    "Bitter",
    "Sacred",
    "Iron",
    "Velvet",
    "Paper",
    "Glass",
    "Wicked",
    "Lonely",
    "Restless",
    "Brave",
    "Little",
    "Great",
    "Strange",
    "Perfect",
    "Invisible",
];

const NOUNS: [&str; 50] = [
    "Kingdom",
    "River",
    "Storm",
    "Heart",
    "City",
    "Road",
    "Shadow",
    "Empire",
    "Garden",
    "Island",
    "Promise",
    "Witness",
    "Mountain",
    "Ocean",
    "Legacy",
    "Hunter",
    "Dream",
    "Border",
    "Signal",
    "Frontier",
    "Machine",
    "Prophecy",
    "Harvest",
    "Winter",
    "Summer",
    "Horizon",
    "Fortress",
    "Voyage",
    "Mirror",
    "Station",
    "Circus",
    "Orchard",
    "Lighthouse",
    "Desert",
    "Forest",
    "Highway",
    "Symphony",
    "Conspiracy",
    "Reckoning",
    "Inheritance",
    "Experiment",
    "Exile",
    "Carnival",
    "Labyrinth",
    "Detective",
    "Stranger",
    "Daughter",
    "Soldier",
    "Pilot",
    "Thief",
];

const PLACES: [&str; 20] = [
    "Paris",
    "Tokyo",
    "the North",
    "Nowhere",
    "Avalon",
    "Babylon",
    "the Sea",
    "Mars",
    "Berlin",
    "Rio",
    "the Valley",
    "Kyoto",
    "Marrakesh",
    "Oslo",
    "the Moon",
    "Lagos",
    "Havana",
    "Cairo",
    "Seoul",
    "Dublin",
];

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
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(HEADER)?;
    let mut keys: HashSet<(String, String)> = HashSet::with_capacity(n);
    for _ in 0..n {
        let date = random_date(&mut rng);
        let mut name = title(&mut rng);
        // Rare clashes become sequels, which keeps (name, date) unique deterministically.
        let base = name.clone();
        let mut sequel = 0;
        while keys.contains(&(name.clone(), date.clone())) {
            name = match ROMAN.get(sequel) {
                Some(numeral) => format!("{base} {numeral}"),
                None => format!("{base} {}", sequel + 2),
            };
            sequel += 1;
        }
        keys.insert((name.clone(), date.clone()));

        let genres = pick_distinct(&mut rng, &GENRES, 1, 4);
        let languages = pick_distinct(&mut rng, &LANGUAGES[..20], 1, 2);
        let mut crew: Vec<String> = (0..rng.gen_range(2..=8)).map(|_| actor(&mut rng)).collect();
        crew.sort();
        crew.dedup();
        let country = COUNTRIES[skewed(&mut rng, COUNTRIES.len())];
        let status = match rng.gen_range(0..100) {
            0..=89 => "Released",
            90..=94 => "Post Production",
            _ => "In Production",
        };
        let score = f64::from(rng.gen_range(200..=900)) / 10.0;
        let budget = f64::from(rng.gen_range(1..=3000u32)) * 100_000.0;
        let revenue = f64::from(rng.gen_range(0..=200_000u32)) * 10_000.0
            + f64::from(rng.gen_range(0..10)) / 10.0;
        let overview = overview(&mut rng, &name, &crew);
        writer.write_record([
            name.as_str(),
            date.as_str(),
            &format!("{score:.1}"),
            &genres.join(","),
            &overview,
            &crew.join(","),
            name.as_str(),
            status,
            &languages.join(","),
            &format!("{budget:.1}"),
            &format!("{revenue:.1}"),
            country,
        ])?;
    }
    writer.flush()?;
    Ok(())
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
    let adjective = ADJECTIVES[rng.gen_range(0..ADJECTIVES.len())];
    let noun = NOUNS[rng.gen_range(0..NOUNS.len())];
    match rng.gen_range(0..6) {
        0 => format!("The {adjective} {noun}"),
        1 => format!("{adjective} {noun}"),
        2 => format!("The {noun} of {}", PLACES[rng.gen_range(0..PLACES.len())]),
        3 => format!(
            "{}'s {noun}",
            FIRST_NAMES[rng.gen_range(0..FIRST_NAMES.len())]
        ),
        4 => format!(
            "{adjective} {noun}: {}",
            NOUNS[rng.gen_range(0..NOUNS.len())]
        ),
        _ => format!("A {noun} in {}", PLACES[rng.gen_range(0..PLACES.len())]),
    }
}

fn actor(rng: &mut ChaCha8Rng) -> String {
    let first = FIRST_NAMES[skewed(rng, FIRST_NAMES.len())];
    let last = LAST_NAMES[rng.gen_range(0..LAST_NAMES.len())];
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
    let place = PLACES[rng.gen_range(0..PLACES.len())];
    let noun = NOUNS[rng.gen_range(0..NOUNS.len())].to_lowercase();
    let adjective = ADJECTIVES[rng.gen_range(0..ADJECTIVES.len())].to_lowercase();
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

    fn csv(n: usize, seed: u64) -> Vec<u8> {
        let mut out = Vec::new();
        write_synthetic_csv(n, seed, &mut out).unwrap();
        out
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
        assert_eq!(genres.len(), GENRES.len());
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
