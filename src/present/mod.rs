//! How results are shown, for every feature alike: the output formats, numbers as the lecture
//! prints them (and as a learner writes them), derivation lines wrapped at their `=` signs, text
//! made safe for HTML, and the one HTML page shell. Explain, chain, check, the playground and the
//! server write through here; nothing here knows any of them.

mod html;
mod numbers;
mod text;
mod written;

pub use html::{PageStyle, escape, page};
pub use numbers::{factor, num, significant};
pub use text::{COLUMNS, wrap};
pub use written::Given;

/// The output formats of `explain`, `chain` and `check`, on the command line (`--format`) and
/// in the playground's API (`?format=`). Not every feature writes every format: each says which
/// it takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, strum::IntoStaticStr)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Format {
    /// The derivation laid out for 80 columns.
    Text,
    /// Markdown with LaTeX math.
    Markdown,
    /// One self-contained page: an SVG drawing of the network beside the derivation.
    Html,
    /// Every number, for scripts.
    Json,
    /// Graphviz source of the engine's computation graph.
    Dot,
}
