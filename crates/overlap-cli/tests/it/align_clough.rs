//! Graded reuse on the Clough & Stevenson corpus (95 answers, each with its Wikipedia source, labelled
//! cut / light / heavy / non): the pair score must order the classes and separate reuse from
//! independent writing. Plain word 3-gram containment reaches ROC AUC 0.964 here.

use crate::common::data;
use overlap::align::{align, AlignConfig};
use overlap::io::{discover, CorpusReader, ReadItem};

struct Answer {
    label: String,
    score: f64,
}

fn scores() -> Vec<Answer> {
    let path = data("clough-reuse.jsonl.gz");
    let sources = discover(&[path.to_string_lossy().into_owned()], None).unwrap();
    let mut reader = CorpusReader::new(sources, usize::MAX);
    let config = AlignConfig::default();
    let mut answers = Vec::new();
    loop {
        let batch = reader.next_batch(1000, usize::MAX).unwrap();
        if batch.is_empty() {
            return answers;
        }
        for item in batch {
            let ReadItem::Record(r) = item else {
                panic!("bad record in the Clough corpus")
            };
            let v: serde_json::Value = serde_json::from_slice(&r.bytes).unwrap();
            let (source, answer) = (v["text1"].as_str().unwrap(), v["text2"].as_str().unwrap());
            answers.push(Answer {
                label: v["label"].as_str().unwrap().to_string(),
                score: align(source, answer, &config).score,
            });
        }
    }
}

/// Probability that a random reuse answer scores above a random independent one (ties count half).
fn roc_auc(positive: &[f64], negative: &[f64]) -> f64 {
    let mut wins = 0.0;
    for p in positive {
        for n in negative {
            wins += if p > n {
                1.0
            } else if p == n {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / (positive.len() * negative.len()) as f64
}

#[test]
fn scores_order_the_classes_and_separate_reuse() {
    let answers = scores();
    assert_eq!(answers.len(), 95);
    let mean = |label: &str| {
        let s: Vec<f64> = answers
            .iter()
            .filter(|a| a.label == label)
            .map(|a| a.score)
            .collect();
        s.iter().sum::<f64>() / s.len() as f64
    };
    let (cut, light, heavy, non) = (mean("cut"), mean("light"), mean("heavy"), mean("non"));
    let positive: Vec<f64> = answers
        .iter()
        .filter(|a| a.label != "non")
        .map(|a| a.score)
        .collect();
    let negative: Vec<f64> = answers
        .iter()
        .filter(|a| a.label == "non")
        .map(|a| a.score)
        .collect();
    let auc = roc_auc(&positive, &negative);
    eprintln!("mean score: cut {cut:.3}, light {light:.3}, heavy {heavy:.3}, non {non:.3}; ROC AUC {auc:.4}");
    assert!(
        cut > light && light > heavy && heavy > non,
        "classes out of order"
    );
    assert!(auc >= 0.98, "ROC AUC {auc}");
}
