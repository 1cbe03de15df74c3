//! The preprocessing of a table, kept with the model (`model.json`): how each column becomes
//! features — numeric (missing → the training median, a missing indicator, standardised),
//! boolean (one 0/1 column) or categorical (one-hot over the training categories, with "other"
//! for rare and unseen ones and "missing") — and the target's scale. It is fitted on the
//! training rows only (`fit.rs`), and `eval` and `predict` encode their files with it
//! (`encode.rs`).

use serde::{Deserialize, Serialize};

use crate::data::Scale;

/// How one column becomes features. [`ColumnKind`] names the variants.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, strum::EnumDiscriminants)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[strum_discriminants(
    name(ColumnKind),
    derive(Hash, PartialOrd, Ord, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumIter),
    serde(rename_all = "kebab-case"),
    strum(serialize_all = "kebab-case")
)]
pub enum Encoding {
    /// One feature, (x − mean) / std with a missing x read as the training median — smoothly
    /// clipped to x / √(1 + (x/3)²) when `clip` (robustly scaled: [`NumericScaling`]) — plus a 0/1
    /// feature `<name>_missing` when the training rows had missing cells.
    Numeric {
        median: f32,
        scale: Scale,
        missing_indicator: bool,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        clip: bool,
    },
    /// One 0/1 feature (missing: the training share of `true_value`), plus `<name>_missing`
    /// when the training rows had missing cells.
    Boolean { true_value: String, false_value: String, fill: f32, missing_indicator: bool },
    /// One-hot: a feature `<name>=<category>` per training category; `<name>=<other>` for the
    /// `rare` categories (seen in fewer training rows than the threshold) and, later, unseen
    /// ones; `<name>=<missing>` when the training rows had missing cells. A value with no
    /// feature of its own (unseen with no "other", missing with no "missing") is all zeros, as
    /// the training rows never taught the model anything about it.
    Categorical { categories: Vec<String>, rare: Vec<String>, missing: bool },
}

/// One feature column of the schema.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureColumn {
    pub name: String,
    /// Missing cells among the training rows.
    pub missing_in_training: usize,
    #[serde(flatten)]
    pub encoding: Encoding,
}

/// A column of the training file left out, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IgnoredColumn {
    pub name: String,
    pub reason: String,
}

/// The whole preprocessing of a table: `model.json`'s `"table"`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableSchema {
    /// The features, in the training file's column order; their encoded features, in this
    /// order, are the network's inputs ([`TableSchema::feature_names`]).
    pub columns: Vec<FeatureColumn>,
    pub ignored: Vec<IgnoredColumn>,
    /// The cells read as missing.
    pub missing_markers: Vec<String>,
    pub target: String,
    /// Regression: the target's standardisation (the model predicts standardised values).
    pub target_scale: Option<Scale>,
}

/// How numeric columns are scaled (`--scaling`), fitted on the training rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum NumericScaling {
    /// (x − mean) / std.
    #[default]
    Standard,
    /// (x − median) / interquartile range (half the range where the quartiles meet), then
    /// smoothly clipped, x / √(1 + (x/3)²): an outlier stays within ±3 and the bulk keeps its
    /// spread (RealMLP's preprocessing, Holzmüller et al. 2024).
    Robust,
    /// Each column by its own shape: robust for a heavy-tailed column (a training value more
    /// than [`HEAVY_TAIL_IQRS`] interquartile ranges from the median: sizes, counts, money),
    /// standard for the rest. The default: robust scaling's gain on such columns without its
    /// loss on the others.
    Auto,
}

/// How far from the median, in interquartile ranges, a training value marks its column as
/// heavy-tailed for [`NumericScaling::Auto`]. A normal column's farthest value among 50,000 is
/// about 3 (4.4 standard deviations, an IQR being 1.35 of them); 20 is passed only by long
/// tails — sales and listings by city (txhousing, a hundred times the median), a diamond's
/// mistyped 58.9 mm width. On `comparison/tabular.py` 20 kept diamonds cut 0.001 closer to
/// standard scaling than 5 did, with txhousing's gain the same (see `docs/training.md`).
pub const HEAVY_TAIL_IQRS: f64 = 20.0;

/// x / √(1 + (x/3)²): close to x for |x| ≪ 3, never beyond ±3.
pub fn smooth_clip(x: f32) -> f32 {
    x / (1.0 + (x / 3.0) * (x / 3.0)).sqrt()
}

/// How to fit a schema.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FitOptions {
    /// Categories seen in fewer training rows merge into "other" [default: 5, or 1 % of the
    /// training rows when that is fewer].
    pub min_category_count: Option<usize>,
    /// Standardise numeric features (off: they keep their values, missing cells filled).
    pub standardize: bool,
    /// How, when they are standardised.
    pub scaling: NumericScaling,
}

impl Default for FitOptions {
    fn default() -> FitOptions {
        FitOptions { min_category_count: None, standardize: true, scaling: NumericScaling::Standard }
    }
}

impl TableSchema {
    /// The encoded features' names, in the network's input order.
    pub fn feature_names(&self) -> Vec<String> {
        self.columns.iter().flat_map(FeatureColumn::feature_names).collect()
    }

    /// One line per kind of column, as `train` prints it before training and `inspect` shows
    /// it: `categorical: island (3), sex (2 + missing); numeric: bill_length_mm (2 missing →
    /// median), …`.
    pub fn summary(&self) -> Vec<String> {
        use strum::IntoEnumIterator;
        let mut lines = Vec::new();
        // Robust scaling is worth a note when it picked some numeric columns (`--scaling auto`),
        // not when it was asked for all of them.
        let clipped = |c: &FeatureColumn| matches!(c.encoding, Encoding::Numeric { clip: true, .. });
        let numeric = self.columns.iter().filter(|c| matches!(c.encoding, Encoding::Numeric { .. }));
        let mark_robust = numeric.clone().any(clipped) && !numeric.clone().all(clipped);
        for kind in ColumnKind::iter() {
            let of_kind: Vec<&FeatureColumn> =
                self.columns.iter().filter(|c| ColumnKind::from(&c.encoding) == kind).collect();
            if of_kind.is_empty() {
                continue;
            }
            // Columns with something to say first; long plain lists shortened.
            let (notable, plain): (Vec<_>, Vec<_>) = of_kind.iter().partition(|c| c.note(mark_robust).is_some());
            let mut items: Vec<String> = notable
                .iter()
                .map(|c: &&FeatureColumn| format!("{} ({})", c.name, c.note(mark_robust).unwrap_or_default()))
                .collect();
            let room = 12usize.saturating_sub(items.len()).max(3);
            items.extend(plain.iter().take(room).map(|c| c.name.clone()));
            if plain.len() > room {
                items.push(format!("… {} more", plain.len() - room));
            }
            let name: &str = kind.into();
            lines.push(format!("{name}: {}", items.join(", ")));
        }
        if !self.ignored.is_empty() {
            let items: Vec<String> = self.ignored.iter().map(|c| format!("{} ({})", c.name, c.reason)).collect();
            lines.push(format!("ignored: {}", items.join("; ")));
        }
        lines
    }
}

impl FeatureColumn {
    /// Whether the column's cells are numbers — numeric columns and 0/1 booleans — rather
    /// than text (an export's input for it is float, not string).
    pub fn takes_numbers(&self) -> bool {
        match &self.encoding {
            Encoding::Numeric { .. } => true,
            Encoding::Boolean { true_value, false_value, .. } => true_value == "1" && false_value == "0",
            Encoding::Categorical { .. } => false,
        }
    }

    /// Encoded features this column becomes.
    pub fn width(&self) -> usize {
        match &self.encoding {
            Encoding::Numeric { missing_indicator, .. } | Encoding::Boolean { missing_indicator, .. } => {
                1 + usize::from(*missing_indicator)
            }
            Encoding::Categorical { categories, rare, missing } => {
                categories.len() + usize::from(!rare.is_empty()) + usize::from(*missing)
            }
        }
    }

    pub fn feature_names(&self) -> Vec<String> {
        let name = &self.name;
        match &self.encoding {
            Encoding::Numeric { missing_indicator, .. } | Encoding::Boolean { missing_indicator, .. } => {
                let mut names = vec![name.clone()];
                if *missing_indicator {
                    names.push(format!("{name}_missing"));
                }
                names
            }
            Encoding::Categorical { categories, rare, missing } => {
                let mut names: Vec<String> = categories.iter().map(|c| format!("{name}={c}")).collect();
                if !rare.is_empty() {
                    names.push(format!("{name}=<other>"));
                }
                if *missing {
                    names.push(format!("{name}=<missing>"));
                }
                names
            }
        }
    }

    /// What the summary says of this column beyond its name, if anything.
    fn note(&self, mark_robust: bool) -> Option<String> {
        let m = self.missing_in_training;
        match &self.encoding {
            Encoding::Numeric { clip, .. } => {
                let mut parts = vec![];
                if m > 0 {
                    parts.push(format!("{m} missing → median"));
                }
                if *clip && mark_robust {
                    parts.push("heavy-tailed: robust".to_string());
                }
                (!parts.is_empty()).then(|| parts.join(", "))
            }
            Encoding::Boolean { true_value, false_value, .. } => Some(format!(
                "{true_value}/{false_value}{}",
                if m > 0 { format!(", {m} missing") } else { String::new() }
            )),
            Encoding::Categorical { categories, rare, missing } => {
                let mut note = categories.len().to_string();
                if !rare.is_empty() {
                    note.push_str(&format!(" + other: {} rare", rare.len()));
                }
                if *missing {
                    note.push_str(" + missing");
                }
                if self.width() > 50 {
                    note.push_str(&format!(" → {} columns", self.width()));
                }
                Some(note)
            }
        }
    }
}

/// Sorts values numerically when they are all numbers (so `2` comes before `10`), else as text.
pub fn sort_values(values: &mut [String]) {
    let number = |v: &String| v.parse::<f64>().ok();
    if values.iter().all(|v| number(v).is_some()) {
        values.sort_by(|a, b| number(a).unwrap_or(0.0).total_cmp(&number(b).unwrap_or(0.0)));
    } else {
        values.sort();
    }
}
