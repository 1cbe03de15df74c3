//! `backprop cv`: k-fold cross-validation of `train`'s settings on a table, each fold's scores
//! and their mean ± standard deviation.

use std::fmt::Write;
use std::path::PathBuf;

use clap::Args;

use super::emit;
use crate::error::Result;
use crate::pipeline::{CrossValidation, DataFiles, TrainSpec, cross_validate};
use crate::present::significant;
use crate::tensor::Threads;

/// Cross-validate a table: cut its rows into K folds (stratified by class), train on all folds
/// but one with `train`'s settings and test on that one, for each fold in turn; print each
/// fold's scores and their mean ± standard deviation. Every option of `train` applies (but
/// --test and --test-split: each fold is the test part in turn). Folds run side by side, one
/// per core.
///
/// Examples:
///   backprop cv --data data/penguins.csv --target species
///   backprop cv --data data/penguins.csv --target body_mass_g --folds 10 --hidden 32 --json
#[derive(Args)]
#[command(verbatim_doc_comment)]
pub struct CvArgs {
    /// The table (CSV) to cross-validate on.
    #[arg(long)]
    data: PathBuf,
    #[command(flatten)]
    spec: TrainSpec,
    /// Folds.
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Threads [default: all cores]: as many folds run at once.
    #[arg(long)]
    threads: Option<usize>,
    /// One JSON object: each fold's scores and the summary.
    #[arg(long)]
    json: bool,
}

pub fn run(args: CvArgs) -> Result<()> {
    let threads = args.threads.map_or(Threads::all(), Threads::new);
    let cv = cross_validate(&DataFiles::new(&args.data), &args.spec, args.folds, threads)?;
    emit(&if args.json { json(&cv) } else { text(&cv, &args) })
}

fn text(cv: &CrossValidation, args: &CvArgs) -> String {
    let mut out = String::new();
    let stratified = if cv.task == crate::data::Task::Classify { ", stratified by class" } else { "" };
    let _ =
        writeln!(out, "{}-fold cross-validation of {} ({} rows{stratified})", args.folds, args.data.display(), cv.rows);
    let names: Vec<&str> = cv.folds[0].scores.iter().map(|(n, _)| *n).collect();
    let _ = write!(out, "{:>4} {:>7} {:>5} {:>6} {:>6}", "fold", "train", "val", "test", "epoch");
    names.iter().for_each(|n| {
        let _ = write!(out, " {n:>10}");
    });
    let _ = writeln!(out, " {:>8}", "seconds");
    for f in &cv.folds {
        let _ = write!(out, "{:>4} {:>7} {:>5} {:>6} {:>6}", f.fold + 1, f.train, f.val, f.test, f.kept_epoch);
        f.scores.iter().for_each(|(_, v)| {
            let _ = write!(out, " {:>10}", significant(*v));
        });
        let _ = writeln!(out, " {:>8.2}", f.seconds);
    }
    let summary: Vec<String> =
        cv.summary().iter().map(|(n, mean, sd)| format!("{n} {} ± {}", significant(*mean), significant(*sd))).collect();
    let _ = writeln!(out, "mean ± sd: {}", summary.join(", "));
    out
}

fn json(cv: &CrossValidation) -> String {
    let scores = |s: &[(&str, f64)]| {
        s.iter().map(|(n, v)| (n.to_string(), serde_json::json!(v))).collect::<serde_json::Map<_, _>>()
    };
    let folds: Vec<_> = cv
        .folds
        .iter()
        .map(|f| {
            serde_json::json!({
                "fold": f.fold + 1, "train": f.train, "val": f.val, "test": f.test,
                "kept_epoch": f.kept_epoch, "seconds": f.seconds, "scores": scores(&f.scores),
            })
        })
        .collect();
    let summary: serde_json::Map<_, _> =
        cv.summary().iter().map(|(n, mean, sd)| (n.to_string(), serde_json::json!({"mean": mean, "sd": sd}))).collect();
    format!("{}\n", serde_json::json!({"rows": cv.rows, "folds": folds, "summary": summary}))
}
