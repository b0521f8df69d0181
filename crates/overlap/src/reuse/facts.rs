//! Same facts in other words, or the same topic with other facts (`reuse --semantic`).
//!
//! A person who paraphrases a sentence changes its words and keeps its facts: the numbers it
//! states (a count, a sum, a year) come through, written the same way almost always. Two sentences
//! on one topic that state other facts (two reports of one kind of event: `two killed in a blast
//! in Baghdad` and `five killed in a bombing in Mosul`) score high on the static model and on word
//! overlap, and their numbers differ. On the STS news pairs (bench/RESULTS.md 8.24), of the pairs
//! people scored 4 or more (same meaning) 0.4% have numbers on both sides and share none; of those
//! scored 1 to 2.5 (one topic, other facts: the dev sets' decoys) 15.9% do.
//!
//! So with [`super::reworded::RewordedConfig::numbers_agree`], a reworded passage (or sentence
//! pair) whose two sides both state numbers and share none of them is not said twice, whatever
//! its score ([`disagree`]). A verbatim passage is never refused (its numbers are the same); a
//! side with no number refuses nothing (`five` for `5`, a number left out).
//!
//! Memory: the numbers of two passage sides at a time.

/// The numbers of `text`, sorted and distinct: each run of digits, with the separators between
/// digits (`1,500`, `3.5`, `9/11`) kept except thousands commas, so that `1,500` and `1500` agree.
pub fn numbers(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let mut n = String::new();
        while i < chars.len() {
            let c = chars[i];
            if c.is_ascii_digit() {
                n.push(c);
            } else if matches!(c, ',' | '.' | '/' | ':')
                && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())
            {
                if c != ',' {
                    n.push(c);
                }
            } else {
                break;
            }
            i += 1;
        }
        out.push(n);
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Whether the sides `a` and `b` of a passage state other facts: both hold numbers and they
/// share none.
pub fn disagree(a: &str, b: &str) -> bool {
    let (x, y) = (numbers(a), numbers(b));
    if x.is_empty() || y.is_empty() {
        return false;
    }
    // Both sorted: a merge finds a shared number.
    let (mut i, mut j) = (0, 0);
    while i < x.len() && j < y.len() {
        match x[i].cmp(&y[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_as_written_thousands_commas_aside() {
        assert_eq!(
            numbers("Sales rose 3.5 pct to 1,500 mln dlrs in 1986, up from 1500."),
            vec!["1500", "1986", "3.5"]
        );
        assert_eq!(
            numbers("the 9/11 attacks, at 10:30, on 5."),
            vec!["10:30", "5", "9/11"]
        );
        assert!(numbers("no figures here, five of them.").is_empty());
    }

    #[test]
    fn other_numbers_are_other_facts_and_a_side_without_numbers_refuses_nothing() {
        // The same facts in other words (STS news pairs scored 4 or more).
        assert!(!disagree(
            "the treaty was first signed in 1990.",
            "the cfe treaty was signed in 1990."
        ));
        assert!(!disagree(
            "Toll rises to 12 in the blast, 3 missing",
            "12 dead in the explosion"
        ));
        // A number written out, or left out, is not another fact.
        assert!(!disagree("five people were hurt", "5 people were injured"));
        assert!(!disagree("prices rose 4 pct", "prices went up"));
        // One topic, other facts.
        assert!(disagree(
            "2 killed in a car bomb attack in Baghdad",
            "5 killed in a bombing near Mosul"
        ));
        assert!(disagree(
            "profit rose to 1,200 mln",
            "profit fell to 900 mln"
        ));
    }
}
