//! Python's `str.title()`, which the original applies to genre, actor and language names: existing rows
//! were written with it, so Theater must produce the very same strings or it would create near-duplicate
//! rows ("Sci-fi" beside "Sci-Fi").
//!
//! CPython's algorithm (`do_title` in `unicodeobject.c`): walk the characters; a character that follows a
//! *cased* character is lower-cased (full mapping, with the Greek final-sigma rule), any other is
//! title-cased (full mapping). Uncased characters (digits, apostrophes, hyphens, spaces) therefore start
//! a new "word": `"they're"` → `"They'Re"`, `"2nd"` → `"2Nd"`.

/// `s.title()` as CPython computes it, in time linear in the length of `s`.
pub fn python_title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut previous_is_cased = false;
    let mut sigma = SigmaContext::new(s);
    for c in s.chars() {
        if previous_is_cased {
            if c == 'Σ' {
                out.push(sigma.lower_capital_sigma());
            } else {
                out.extend(c.to_lowercase());
            }
        } else {
            push_titlecase(&mut out, c);
        }
        sigma.advance(c);
        previous_is_cased = is_cased(c);
    }
    out
}

/// Unicode's `Cased` property: `Lowercase`, `Uppercase` or general category `Lt`.
fn is_cased(c: char) -> bool {
    c.is_lowercase() || c.is_uppercase() || is_titlecase_letter(c)
}

/// General category `Lt` (Unicode 16): the digraphs and the Greek letters with prosgegrammeni.
fn is_titlecase_letter(c: char) -> bool {
    matches!(c,
        'ǅ' | 'ǈ' | 'ǋ' | 'ǲ'
        | '\u{1F88}'..='\u{1F8F}'
        | '\u{1F98}'..='\u{1F9F}'
        | '\u{1FA8}'..='\u{1FAF}'
        | 'ᾼ' | 'ῌ' | 'ῼ')
}

fn push_titlecase(out: &mut String, c: char) {
    let mapped = unicode_case_mapping::to_titlecase(c);
    if mapped[0] == 0 {
        out.push(c);
        return;
    }
    out.extend(
        mapped
            .iter()
            .take_while(|&&u| u != 0)
            .filter_map(|&u| char::from_u32(u)),
    );
}

/// Which form a capital sigma lower-cases to: `ς` at the end of a word, `σ` elsewhere. Rust's
/// `str::to_lowercase` implements the same `Final_Sigma` context as CPython; every other character's
/// lower-case mapping is context-free and `σ`/`ς` have the same UTF-8 length, so the lower-cased
/// lengths of the characters before a sigma locate it inside the lower-cased whole.
///
/// The whole is lower-cased once, on the first sigma, and the offset is carried along: looking each
/// sigma up by lower-casing the prefix and the whole again made a name of a few kilobytes of `Σ`
/// cost seconds of CPU (quadratic), which no request timeout can interrupt.
struct SigmaContext<'a> {
    source: &'a str,
    lowered: Option<String>,
    /// Byte offset, in the lower-cased whole, of the character being mapped.
    offset: usize,
}

impl<'a> SigmaContext<'a> {
    fn new(source: &'a str) -> Self {
        Self {
            source,
            lowered: None,
            offset: 0,
        }
    }

    /// The lower-case form of the capital sigma at the current position.
    fn lower_capital_sigma(&mut self) -> char {
        let source = self.source;
        let lowered = self.lowered.get_or_insert_with(|| source.to_lowercase());
        match lowered.get(self.offset..) {
            Some(rest) if rest.starts_with('ς') => 'ς',
            _ => 'σ',
        }
    }

    /// Moves past `c`.
    fn advance(&mut self, c: char) {
        self.offset += c.to_lowercase().map(char::len_utf8).sum::<usize>();
    }
}

#[cfg(test)]
mod tests {
    use super::python_title;

    /// Expected values were produced by CPython 3.11's `str.title()`.
    #[test]
    fn matches_cpython() {
        for (input, expected) in [
            ("sci-fi", "Sci-Fi"),
            ("they're", "They'Re"),
            ("2nd", "2Nd"),
            ("hello world", "Hello World"),
            ("HELLO", "Hello"),
            ("mIxEd cAsE", "Mixed Case"),
            ("o'neil", "O'Neil"),
            ("jean-luc picard", "Jean-Luc Picard"),
            ("a_b", "A_B"),
            ("x1y2", "X1Y2"),
            ("  lead space", "  Lead Space"),
            ("", ""),
            ("ÉCOLE", "École"),
            ("élan vital", "Élan Vital"),
            ("straße", "Straße"),
            ("ß", "Ss"),
            ("\u{FB01}sh", "Fish"),
            ("ǆemal", "ǅemal"),
            ("ǳ", "ǲ"),
            ("İstanbul", "İstanbul"),
            ("aİ", "Ai\u{307}"),
            ("ᾳ", "ᾼ"),
            (
                "ΣΑΣ ΟΔΟΣ",
                "\u{3A3}\u{3B1}\u{3C2} \u{39F}\u{3B4}\u{3BF}\u{3C2}",
            ),
            ("ΌΣΟΣ.", "\u{38C}\u{3C3}\u{3BF}\u{3C2}."),
            ("ΑΣ'Α", "\u{391}\u{3C3}'\u{391}"),
            ("science fiction", "Science Fiction"),
        ] {
            assert_eq!(python_title(input), expected, "title() of {input:?}");
        }
    }

    /// The previous implementation: lower-cases the prefix and the whole for every sigma. Correct
    /// but quadratic; kept as the oracle for the linear one.
    fn quadratic_title(s: &str) -> String {
        let mut out = String::new();
        let mut previous_is_cased = false;
        for (i, c) in s.char_indices() {
            if previous_is_cased {
                if c == 'Σ' {
                    let offset = s[..i].to_lowercase().len();
                    let final_form = s.to_lowercase()[offset..].starts_with('ς');
                    out.push(if final_form { 'ς' } else { 'σ' });
                } else {
                    out.extend(c.to_lowercase());
                }
            } else {
                super::push_titlecase(&mut out, c);
            }
            previous_is_cased = super::is_cased(c);
        }
        out
    }

    #[test]
    fn sigma_context_matches_the_reference_around_ignorables_and_expansions() {
        // Case-ignorable marks around sigmas, characters whose mappings change length (ß, ŉ, ΐ, İ,
        // ﬁ), title-case digraphs and sigmas at every position.
        let pieces = [
            "Σ", "σ", "ς", "Α", "a", " ", "'", ".", "\u{301}", "\u{345}", "ß", "ŉ", "ΐ", "İ", "ﬁ",
            "ǅ", "ᾳ", "1", "-",
        ];
        let mut rng: u64 = 0x5eed;
        for _ in 0..3000 {
            let mut s = String::new();
            for _ in 0..(rng % 9) {
                rng = rng
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                s.push_str(pieces[(rng >> 33) as usize % pieces.len()]);
            }
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            assert_eq!(python_title(&s), quadratic_title(&s), "title() of {s:?}");
        }
    }

    /// The worst inputs found for the old implementation, 64 KB each: every one must come out right
    /// and fast. The time bound only backstops a return of quadratic work (it took minutes).
    #[test]
    fn long_inputs_take_linear_time() {
        let n = 32 * 1024;
        let started = std::time::Instant::now();
        let sigmas = "Σ".repeat(n);
        let titled = python_title(&sigmas);
        assert_eq!(titled.chars().count(), n);
        assert!(titled.starts_with("Σσ") && titled.ends_with("σς"));
        assert_eq!(titled.matches('σ').count(), n - 2);

        // A combining mark is uncased: the sigma after it starts a word.
        let marks = format!("A{}Σ{}", "\u{301}".repeat(n), "\u{301}".repeat(n));
        assert_eq!(python_title(&marks), marks);
        // U+0345 is cased and case-ignorable: the sigma's context spans both runs.
        let (before, after) = ("\u{345}".repeat(n), "\u{345}".repeat(n));
        assert_eq!(
            python_title(&format!("A{before}Σ{after}")),
            format!("A{before}ς{after}")
        );
        // Cased and case-ignorable at once (U+0345): the context scan must not run away.
        let ypogegrammeni = "AΣ\u{345}".repeat(n / 3);
        assert_eq!(python_title(&ypogegrammeni).chars().count(), n / 3 * 3);
        let oracle_sized = "AΣ\u{345}Σ".repeat(300);
        assert_eq!(python_title(&oracle_sized), quadratic_title(&oracle_sized));
        for c in ["ǅ", "ß", "ŉ", "ΐ"] {
            let titled = python_title(&c.repeat(n / 2));
            assert!(titled.chars().count() >= n / 2);
        }
        let elapsed = started.elapsed();
        assert!(elapsed.as_secs() < 5, "took {elapsed:?}");
    }

    #[test]
    fn is_idempotent_on_titled_text() {
        for s in ["Sci-Fi", "They'Re", "Science Fiction", "Σας Οδος"] {
            assert_eq!(python_title(s), s);
        }
    }
}
