//! Train-and-predict on a table with the library alone: the Palmer penguins' species from
//! their island, measurements and sex (text categories and missing cells included), saved as
//! a model directory, reloaded, and asked for every penguin's species.
//!
//! It needs none of the command line's crates; CI builds and runs it so:
//! `cargo run --release --no-default-features --example penguins`

use backprop::pipeline::{DataFiles, TrainSpec, TrainedModel};
use backprop::tensor::Threads;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = "data/penguins.csv";
    let spec = TrainSpec { target: Some("species".into()), epochs: Some(30), ..TrainSpec::default() };
    let model = TrainedModel::train(&DataFiles::new(path), &spec)?;
    let dir = std::env::temp_dir().join(format!("backprop-penguins-{}", std::process::id()));
    model.save(&dir)?;
    let reloaded = TrainedModel::load(&dir)?;
    std::fs::remove_dir_all(&dir)?;

    let (predictions, notes) = reloaded.predict_file(path.as_ref(), Threads::all())?;
    notes.iter().for_each(|n| println!("note: {n}"));
    let species = predictions.classes().expect("species are classes");
    let truth: Vec<String> = std::fs::read_to_string(path)?
        .lines()
        .skip(1)
        .map(|line| line.split(',').next().unwrap_or_default().to_string())
        .collect();
    let right = species.iter().zip(&truth).filter(|(p, t)| p == t).count();
    println!("{right} of {} penguins' species predicted right (trained on 72 % of them)", truth.len());
    if right * 10 < truth.len() * 9 {
        return Err(format!("only {right} of {} right", truth.len()).into());
    }
    Ok(())
}
