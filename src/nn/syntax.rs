//! The layer syntax every front end shares: `"conv 32 3, relu, maxpool 2, dense 128, relu,
//! dropout 0.25"` (layers separated by commas, each a name and its numbers) parsed into
//! [`LayerSpec`]s. A fault is reported with the spec and a caret under the part at fault, and an
//! unknown name lists the layers there are.

use super::{Activation, LayerSpec};
use strum::IntoEnumIterator;

/// What `--layers` takes, one line per layer kind (also the help text's list).
pub const LAYER_NAMES: &str = "dense N · conv N K [stride S] [pad P|same] [dilation D] · maxpool K [stride S] [pad P] \
     (or pool) · avgpool K [stride S] [pad P] · batchnorm · flatten · globalavgpool · dropout P · an activation: relu, \
     sigmoid, tanh, leaky-relu, gelu, silu";

/// The largest number a layer takes (filters, units, kernel, stride, padding, dilation).
pub const MAX_NUMBER: usize = 100_000;

/// A spec that does not parse: the message, and the part of the spec at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub spec: String,
    /// Byte range of the fault in `spec`.
    pub at: std::ops::Range<usize>,
    pub message: String,
}

impl SyntaxError {
    /// The message alone (for a file's field, where the caret has no line to sit under).
    pub fn plain(&self) -> String {
        format!("`{}`: {}", self.spec, self.message)
    }
}

/// The message, then the spec with a caret under the fault.
impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A missing number is pointed at just past the end; a range is widened to whole
        // characters (a multi-byte space such as U+0085 ends a part too).
        let mut end = self.at.end.min(self.spec.len());
        while !self.spec.is_char_boundary(end) {
            end += 1;
        }
        let mut start = self.at.start.min(end);
        while !self.spec.is_char_boundary(start) {
            start -= 1;
        }
        let indent = self.spec[..start].chars().count();
        let width = self.spec[start..end].chars().count().max(1);
        write!(f, "{}\n  {}\n  {}{}", self.message, self.spec, " ".repeat(indent), "^".repeat(width))
    }
}

impl std::error::Error for SyntaxError {}

/// A word of the spec and where it sits.
#[derive(Clone, Copy)]
struct Word<'a> {
    text: &'a str,
    start: usize,
}

impl Word<'_> {
    fn range(self) -> std::ops::Range<usize> {
        self.start..self.start + self.text.len()
    }
}

/// A list of layers as one piece of text (`--layers`, and a checkpoint's copy of it): parsed
/// on the way in, written back as the canonical spec.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerList(pub Vec<LayerSpec>);

impl std::str::FromStr for LayerList {
    type Err = SyntaxError;
    fn from_str(spec: &str) -> Result<LayerList, SyntaxError> {
        parse_layers(spec).map(LayerList)
    }
}

impl std::fmt::Display for LayerList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&super::layer::spec_of(&self.0))
    }
}

impl serde::Serialize for LayerList {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for LayerList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<LayerList, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(d)?;
        text.parse().map_err(|e: SyntaxError| serde::de::Error::custom(e.plain()))
    }
}

/// The layers of a spec, in order.
pub fn parse_layers(spec: &str) -> Result<Vec<LayerSpec>, SyntaxError> {
    let mut layers = vec![];
    let mut start = 0;
    for part in spec.split(',') {
        layers.push(parse_part(spec, start, part)?);
        start += part.len() + 1;
    }
    Ok(layers)
}

/// One layer (`"conv 32 3"`), as `model.json` stores each.
pub fn parse_layer(text: &str) -> Result<LayerSpec, SyntaxError> {
    parse_part(text, 0, text)
}

/// The layer written in `part`, which starts at byte `start` of `spec`.
fn parse_part(spec: &str, start: usize, part: &str) -> Result<LayerSpec, SyntaxError> {
    let fail = |at: std::ops::Range<usize>, message: String| SyntaxError { spec: spec.to_string(), at, message };
    let mut words = vec![];
    let mut offset = 0;
    for text in part.split_whitespace() {
        let at = part[offset..].find(text).expect("a word of the part") + offset;
        words.push(Word { text, start: start + at });
        offset = at + text.len();
    }
    let Some(&name) = words.first() else {
        return Err(fail(start..start + part.len(), format!("an empty layer; the layers are: {LAYER_NAMES}")));
    };
    let end = start + part.trim_end().len();
    let mut args = Args { words: &words[1..], next: 0, end, name, fail: &fail };
    let lower = name.text.to_ascii_lowercase();
    let layer = match lower.as_str() {
        "dense" | "linear" => LayerSpec::Dense { units: args.count("a number of units")? },
        "conv" => {
            let filters = args.count("a number of filters (output channels)")?;
            let kernel = args.count("a kernel size")?;
            let (mut stride, mut padding, mut dilation, mut same) = (1, 0, 1, None);
            while let Some(option) = args.option(&["stride", "pad", "dilation"])? {
                match option.text {
                    "stride" => stride = args.count("a stride")?,
                    "dilation" => dilation = args.count("a dilation")?,
                    _ => match args.peek() {
                        Some(w) if w.text == "same" => {
                            same = Some(args.take().expect("peeked"));
                        }
                        _ => padding = args.number("a padding")?,
                    },
                }
            }
            if let Some(word) = same {
                if kernel.is_multiple_of(2) || stride != 1 {
                    return Err(fail(
                        word.range(),
                        format!(
                            "`pad same` keeps the size with an odd kernel and stride 1; this is kernel {kernel}, stride {stride}"
                        ),
                    ));
                }
                padding = dilation * (kernel - 1) / 2;
            }
            LayerSpec::Conv { filters, kernel, stride, padding, dilation }
        }
        "maxpool" | "pool" | "avgpool" => {
            let kernel = args.count("a window size")?;
            let (mut stride, mut padding) = (kernel, 0);
            while let Some(option) = args.option(&["stride", "pad"])? {
                match option.text {
                    "stride" => stride = args.count("a stride")?,
                    _ => padding = args.number("a padding")?,
                }
            }
            if lower == "avgpool" {
                LayerSpec::AvgPool { kernel, stride, padding }
            } else {
                LayerSpec::MaxPool { kernel, stride, padding }
            }
        }
        "batchnorm" | "bn" => LayerSpec::BatchNorm,
        "flatten" => LayerSpec::Flatten,
        "globalavgpool" | "gap" => LayerSpec::GlobalAvgPool,
        "dropout" => {
            let word =
                args.take().ok_or_else(|| fail(end..end + 1, "`dropout` needs a probability: dropout P".into()))?;
            match word.text.parse::<f64>() {
                Ok(p) if (0.0..1.0).contains(&p) => LayerSpec::Dropout { p },
                _ => {
                    return Err(fail(
                        word.range(),
                        format!("a dropout probability is at least 0 and below 1, not `{}`", word.text),
                    ));
                }
            }
        }
        other => match Activation::from_name(other).filter(|a| *a != Activation::Softmax) {
            Some(a) => LayerSpec::Activation(a),
            None => {
                let known: Vec<&str> = Activation::iter().map(Activation::name).collect();
                let hint = if known.contains(&other) { " (an output activation, not a hidden layer)" } else { "" };
                return Err(fail(
                    name.range(),
                    format!("unknown layer `{}`{hint}; the layers are: {LAYER_NAMES}", name.text),
                ));
            }
        },
    };
    args.finish()?;
    Ok(layer)
}

/// The words after a layer's name, read one at a time.
struct Args<'w, 'a, F> {
    words: &'w [Word<'a>],
    next: usize,
    /// Where the layer's text ends (a missing number is pointed at there).
    end: usize,
    name: Word<'a>,
    fail: &'w F,
}

impl<'a, F: Fn(std::ops::Range<usize>, String) -> SyntaxError> Args<'_, 'a, F> {
    fn peek(&self) -> Option<Word<'a>> {
        self.words.get(self.next).copied()
    }

    fn take(&mut self) -> Option<Word<'a>> {
        let word = self.peek()?;
        self.next += 1;
        Some(word)
    }

    /// A whole number from 0 to [`MAX_NUMBER`] called `what`.
    fn number(&mut self, what: &str) -> Result<usize, SyntaxError> {
        let name = self.name.text;
        let word =
            self.take().ok_or_else(|| (self.fail)(self.end..self.end + 1, format!("`{name}` needs {what} here")))?;
        let n: usize = word.text.parse().map_err(|_| {
            (self.fail)(word.range(), format!("`{name}` needs {what} here, a whole number, not `{}`", word.text))
        })?;
        if n > MAX_NUMBER {
            return Err((self.fail)(word.range(), format!("`{name}` takes numbers up to {MAX_NUMBER}, not {n}")));
        }
        Ok(n)
    }

    /// A whole number ≥ 1 called `what`.
    fn count(&mut self, what: &str) -> Result<usize, SyntaxError> {
        let at = self.peek().map(Word::range);
        match self.number(what)? {
            0 => Err((self.fail)(
                at.expect("a word was read"),
                format!("`{}` needs {what} of at least 1", self.name.text),
            )),
            n => Ok(n),
        }
    }

    /// The next option word if there is one, which must be one of `known`.
    fn option(&mut self, known: &[&str]) -> Result<Option<Word<'a>>, SyntaxError> {
        let Some(word) = self.take() else { return Ok(None) };
        if known.contains(&word.text) {
            return Ok(Some(word));
        }
        Err((self.fail)(
            word.range(),
            format!("`{}` takes the options {}, not `{}`", self.name.text, known.join(", "), word.text),
        ))
    }

    /// Refuses anything left over.
    fn finish(&mut self) -> Result<(), SyntaxError> {
        match self.take() {
            None => Ok(()),
            Some(word) => {
                let last = self.words.last().expect("a word is left");
                Err((self.fail)(
                    word.start..last.start + last.text.len(),
                    format!("`{}` takes nothing more here; a comma separates layers", self.name.text),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layer_kind_parses_and_prints_back_the_same() {
        let spec = "conv 32 3, relu, maxpool 2, conv 64 3 stride 2 pad 1 dilation 2, bn, avgpool 3 stride 1 pad 1, \
                    globalavgpool, flatten, dense 128, gelu, dropout 0.25";
        let layers = parse_layers(spec).unwrap();
        assert_eq!(layers.len(), 11);
        assert_eq!(layers[3], LayerSpec::Conv { filters: 64, kernel: 3, stride: 2, padding: 1, dilation: 2 });
        let printed: Vec<String> = layers.iter().map(ToString::to_string).collect();
        assert_eq!(parse_layers(&printed.join(", ")).unwrap(), layers);
        assert_eq!(printed[4], "batchnorm");
        assert_eq!(parse_layer("pool 2").unwrap(), LayerSpec::MaxPool { kernel: 2, stride: 2, padding: 0 });
        assert_eq!(parse_layer(" CONV 8 5 pad same ").unwrap().to_string(), "conv 8 5 pad 2");
        assert_eq!(parse_layer("conv 8 3 dilation 2 pad same").unwrap().to_string(), "conv 8 3 pad 2 dilation 2");
    }

    /// The message and the caret line of a spec's error.
    fn error(spec: &str) -> (String, String) {
        let e = parse_layers(spec).unwrap_err().to_string();
        let lines: Vec<&str> = e.lines().collect();
        assert_eq!(lines[1], format!("  {spec}"), "{e}");
        (lines[0].to_string(), lines[2].to_string())
    }

    #[test]
    fn a_fault_is_shown_with_a_caret_under_it() {
        let (message, caret) = error("conv 32 3, relu, conv2 64 3");
        assert!(message.starts_with("unknown layer `conv2`; the layers are: dense N · conv N K"), "{message}");
        assert_eq!(caret, "                   ^^^^^");
        let (message, caret) = error("conv 32 x");
        assert_eq!(message, "`conv` needs a kernel size here, a whole number, not `x`");
        assert_eq!(caret, "          ^");
        let (message, caret) = error("dense 0");
        assert_eq!((message.as_str(), caret.as_str()), ("`dense` needs a number of units of at least 1", "        ^"));
        let (message, caret) = error("conv 32");
        assert_eq!((message.as_str(), caret.as_str()), ("`conv` needs a kernel size here", "         ^"));
        let (message, caret) = error("relu,, dense 3");
        assert!(message.starts_with("an empty layer"), "{message}");
        assert_eq!(caret, "       ^");
        let (message, caret) = error("maxpool 2 strid 1");
        assert_eq!(message, "`maxpool` takes the options stride, pad, not `strid`");
        assert_eq!(caret, "            ^^^^^");
        let (message, caret) = error("relu 3 4");
        assert_eq!(
            (message.as_str(), caret.as_str()),
            ("`relu` takes nothing more here; a comma separates layers", "       ^^^")
        );
        let (message, _) = error("dropout 1");
        assert!(message.contains("at least 0 and below 1, not `1`"), "{message}");
        let (message, _) = error("softmax");
        assert!(message.contains("an output activation"), "{message}");
        let (message, _) = error("conv 777774777773777777 5");
        assert_eq!(message, "`conv` takes numbers up to 100000, not 777774777773777777");
        let (message, _) = error("conv 8 4 pad same");
        assert!(message.contains("odd kernel"), "{message}");
    }

    #[test]
    fn a_caret_counts_characters_not_bytes() {
        let e = parse_layers("relu, ×").unwrap_err().to_string();
        assert!(e.ends_with("\n  relu, ×\n        ^"), "{e}");
        // U+0085 is a space of two bytes: as a whole layer, and after a missing number (both
        // found by the fuzz target, which sliced inside it).
        let e = parse_layers("\u{85}").unwrap_err().to_string();
        assert!(e.starts_with("an empty layer"), "{e}");
        let e = parse_layers("conv 32\u{85}").unwrap_err().to_string();
        assert!(e.starts_with("`conv` needs a kernel size here"), "{e}");
    }
}
