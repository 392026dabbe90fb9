//! Full-text search: how names and overviews become index terms, and how a `search` becomes a query.
//!
//! The words are made here, in Rust, for both backends (not by SQLite's tokenizers or PostgreSQL's
//! text-search configurations), so that a search finds the same movies on both: case and accents are
//! folded (`Amélie` = `amelie`, `Straße` = `strasse`), words are split at everything that is not a
//! letter or a digit, and each word is indexed as its English (Snowball/Porter2) stem and, where the
//! stem differs, as written too — the stem makes `storms` find `Storm`, the word as written lets a
//! search's last word match as a prefix while it is being typed (`runn` finds `running`, whose stem
//! `run` it is not a prefix of). SQLite keeps the terms in an FTS5 table, PostgreSQL in a `tsvector`
//! column with a GIN index (its literal is built here, so no text-search parser or dictionary of the
//! server touches the words); both are written in the transaction that writes the movie.
//!
//! A search matches when every word matches (its stem; the last word also as a prefix of any
//! indexed word, from two characters on). Common English words (`the`, `of`, …) are left out of a
//! search that has other words, as PostgreSQL's English configuration does, so `the matrix` costs
//! what `matrix` costs; a search of nothing but such words (`it`) still looks for them.

use std::fmt::Write;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

/// Words of a search beyond this are ignored (before any query is built): the rest still narrows.
pub const MAX_SEARCH_WORDS: usize = 16;
/// A last word shorter than this is not also searched as a prefix (it would match most of the catalog).
const MIN_PREFIX_CHARS: usize = 2;
/// PostgreSQL keeps positions up to 16,383 in a `tsvector`; later words share the last position.
const MAX_POSITION: usize = 16_383;
/// Words of a field that are indexed: the first 10,000 of an overview (a `tsvector` must stay below
/// 1 MB, and a JSON body may hold a megabyte of text).
pub const MAX_INDEXED_WORDS: usize = 10_000;
/// Words are cut to this many bytes (at a character boundary), in the index and in a search alike:
/// PostgreSQL refuses lexemes of 2 KB, and no real word is this long.
pub const MAX_WORD_BYTES: usize = 200;

/// Left out of a search that has other words (a subset of PostgreSQL's `english.stop`).
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "he",
    "her", "his", "in", "into", "is", "it", "its", "of", "on", "or", "she", "that", "the", "their",
    "they", "this", "to", "was", "were", "who", "will", "with",
];

/// Whether `word` (folded) is one of the common English words a search leaves out.
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(&word)
}

fn stemmer() -> &'static Stemmer {
    static STEMMER: std::sync::LazyLock<Stemmer> =
        std::sync::LazyLock::new(|| Stemmer::create(Algorithm::English));
    &STEMMER
}

/// The words of `text`, case- and accent-folded, in order.
pub fn words(text: &str) -> Vec<String> {
    let mut folded = String::with_capacity(text.len());
    for c in text.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            // Letters that do not decompose into a base letter and a mark.
            'ß' | 'ẞ' => folded.push_str("ss"),
            'æ' | 'Æ' => folded.push_str("ae"),
            'œ' | 'Œ' => folded.push_str("oe"),
            'ø' | 'Ø' => folded.push('o'),
            'đ' | 'Đ' => folded.push('d'),
            'ł' | 'Ł' => folded.push('l'),
            'þ' | 'Þ' => folded.push_str("th"),
            'ı' => folded.push('i'),
            c if c.is_alphanumeric() => folded.extend(c.to_lowercase()),
            _ => folded.push(' '),
        }
    }
    folded.split_whitespace().map(cut).collect()
}

/// `word`, cut to at most [`MAX_WORD_BYTES`] bytes at a character boundary.
fn cut(word: &str) -> String {
    let mut end = word.len().min(MAX_WORD_BYTES);
    while !word.is_char_boundary(end) {
        end -= 1;
    }
    word[..end].to_owned()
}

/// A word's stem.
pub fn stem(word: &str) -> String {
    stemmer().stem(word).into_owned()
}

/// The index terms of one field: each word's stem, and the word itself where it differs.
pub fn terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in words(text).into_iter().take(MAX_INDEXED_WORDS) {
        let stem = stem(&word);
        let differs = stem != word;
        out.push(stem);
        if differs {
            out.push(word);
        }
    }
    out
}

/// What the index holds for one movie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The name's terms, space-separated (SQLite's FTS5 columns).
    pub name: String,
    /// The overview's terms, space-separated.
    pub overview: String,
    /// The same as a PostgreSQL `tsvector` literal: name terms weighted `A`, overview terms `B`.
    pub tsvector: String,
}

impl Document {
    pub fn new(name: &str, overview: &str) -> Self {
        let name_terms = terms(name);
        let overview_terms = terms(overview);
        Self {
            tsvector: tsvector_literal(&name_terms, &overview_terms),
            name: name_terms.join(" "),
            overview: overview_terms.join(" "),
        }
    }
}

impl Document {
    /// A name alone, as its folded words (no stems: people's names are not English words).
    pub fn name_only(name: &str) -> Self {
        let mut words = words(name);
        words.truncate(MAX_INDEXED_WORDS);
        Self {
            tsvector: tsvector_literal(&words, &[]),
            name: words.join(" "),
            overview: String::new(),
        }
    }
}

/// `'term':1A,3A 'other':2B …`. Terms are letters and digits only, so they need no escaping.
fn tsvector_literal(name: &[String], overview: &[String]) -> String {
    let mut positions: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    let weighted = name
        .iter()
        .map(|t| (t, 'A'))
        .chain(overview.iter().map(|t| (t, 'B')));
    for (i, (term, weight)) in weighted.enumerate() {
        let position = (i + 1).min(MAX_POSITION);
        positions
            .entry(term.as_str())
            .or_default()
            .push(format!("{position}{weight}"));
    }
    let mut out = String::new();
    for (term, at) in positions {
        if !out.is_empty() {
            out.push(' ');
        }
        // PostgreSQL keeps at most 256 positions of a lexeme.
        let _ = write!(out, "'{term}':{}", at[..at.len().min(256)].join(","));
    }
    out
}

/// One word of a search: it matches its stem, and the last word also any term it begins.
#[derive(Debug, Clone, PartialEq, Eq)]
struct QueryWord {
    stem: String,
    prefix: Option<String>,
}

/// A parsed `search`: at least one word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    words: Vec<QueryWord>,
}

impl SearchQuery {
    /// `None` when the text has no words at all (only punctuation): such a search filters nothing.
    /// Only the first [`MAX_SEARCH_WORDS`] words are used.
    pub fn parse(text: &str) -> Option<Self> {
        let mut all = words(text);
        all.truncate(MAX_SEARCH_WORDS);
        let last = all.len().checked_sub(1)?;
        let only_stop_words = all.iter().all(|w| is_stop_word(w));
        let words = all
            .iter()
            .enumerate()
            .filter(|(_, w)| only_stop_words || !is_stop_word(w))
            .map(|(i, w)| QueryWord {
                stem: stem(w),
                prefix: (i == last && w.chars().count() >= MIN_PREFIX_CHARS).then(|| w.clone()),
            })
            .collect();
        Some(Self { words })
    }

    /// An FTS5 `MATCH` expression: `"stem" AND ("stem" OR "word"*)`.
    pub fn fts5(&self) -> String {
        self.join(" AND ", |w| match &w.prefix {
            Some(p) if *p == w.stem => format!("\"{p}\"*"),
            Some(p) => format!("(\"{}\" OR \"{p}\"*)", w.stem),
            None => format!("\"{}\"", w.stem),
        })
    }

    /// A PostgreSQL `tsquery` literal: `'stem' & ('stem' | 'word':*)`.
    pub fn tsquery(&self) -> String {
        self.join(" & ", |w| match &w.prefix {
            Some(p) if *p == w.stem => format!("'{p}':*"),
            Some(p) => format!("('{}' | '{p}':*)", w.stem),
            None => format!("'{}'", w.stem),
        })
    }

    fn join(&self, sep: &str, word: impl Fn(&QueryWord) -> String) -> String {
        self.words.iter().map(word).collect::<Vec<_>>().join(sep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_fold_case_accents_and_punctuation() {
        assert_eq!(
            words("Amélie's STRASSE-Straße, Ærø 2001: Ça ŁÓDŹ"),
            [
                "amelie", "s", "strasse", "strasse", "aero", "2001", "ca", "lodz"
            ]
        );
        assert_eq!(words("\u{a0}Creed\u{2009}III\u{3000}"), ["creed", "iii"]);
        assert_eq!(words("Москва 東京"), ["москва", "東京"]);
    }

    #[test]
    fn long_words_and_long_texts_are_bounded() {
        let long = "é".repeat(300);
        assert_eq!(words(&long)[0].len(), MAX_WORD_BYTES);
        let q = SearchQuery::parse(&long).unwrap();
        assert_eq!(q.fts5(), format!("\"{}\"*", "e".repeat(MAX_WORD_BYTES)));
        let text = "storm ".repeat(MAX_INDEXED_WORDS + 5);
        assert_eq!(terms(&text).len(), MAX_INDEXED_WORDS);
        let multibyte = "ж".repeat(150);
        assert_eq!(words(&multibyte)[0].chars().count(), MAX_WORD_BYTES / 2);
    }

    #[test]
    fn terms_hold_stems_and_the_words_that_differ() {
        assert_eq!(
            terms("Storms running"),
            ["storm", "storms", "run", "running"]
        );
        assert_eq!(terms("storm"), ["storm"]);
    }

    #[test]
    fn tsvector_weights_name_over_overview() {
        let d = Document::new("Storm", "a storm, a storm");
        assert_eq!(d.name, "storm");
        assert_eq!(d.overview, "a storm a storm");
        assert_eq!(d.tsvector, "'a':2B,4B 'storm':1A,3B,5B");
    }

    #[test]
    fn every_word_matches_the_last_also_as_a_prefix() {
        let q = SearchQuery::parse("Storms runn").unwrap();
        assert_eq!(q.fts5(), r#""storm" AND "runn"*"#);
        assert_eq!(q.tsquery(), "'storm' & 'runn':*");
        let q = SearchQuery::parse("running storms").unwrap();
        assert_eq!(q.fts5(), r#""run" AND ("storm" OR "storms"*)"#);
        assert_eq!(q.tsquery(), "'run' & ('storm' | 'storms':*)");
        let q = SearchQuery::parse("war z").unwrap();
        assert_eq!(q.fts5(), r#""war" AND "z""#);
    }

    #[test]
    fn stop_words_are_left_out_unless_they_are_all_there_is() {
        let q = SearchQuery::parse("The Lord of the Rings").unwrap();
        assert_eq!(q.fts5(), r#""lord" AND ("ring" OR "rings"*)"#);
        // The last word was a stop word: no word of the search is a prefix.
        let q = SearchQuery::parse("matrix the").unwrap();
        assert_eq!(q.fts5(), r#""matrix""#);
        let q = SearchQuery::parse("It").unwrap();
        assert_eq!(q.fts5(), r#""it"*"#);
        let q = SearchQuery::parse("the who").unwrap();
        assert_eq!(q.fts5(), r#""the" AND "who"*"#);
    }

    #[test]
    fn a_search_without_words_filters_nothing_and_long_ones_are_cut() {
        assert_eq!(SearchQuery::parse(" -- ! "), None);
        let long = format!("{} last", ["word"; MAX_SEARCH_WORDS].join(" "));
        let q = SearchQuery::parse(&long).unwrap();
        assert_eq!(q.words.len(), MAX_SEARCH_WORDS);
        assert!(!q.fts5().contains("last"));
    }
}
