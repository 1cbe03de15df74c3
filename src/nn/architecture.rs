//! What a network is, before it has weights: the input's shape and a list of layers, each one
//! [`LayerSpec`] (`layer.rs`). `model.json` stores it, `inspect` and `train` print its shapes,
//! and [`super::Sequential`] builds the layers it names. The shapes are worked out here, before
//! any weight exists, so a stack that does not fit its input is refused with the shape at every
//! layer rather than failing inside an op.

use super::layer::{LayerSpec, MAX_SAMPLE_NUMBERS, MAX_WEIGHTS, SampleShape, spec_of};
use crate::error::{Error, Result};

/// A whole network: the shape of one sample and the layers in order, the output layer last.
///
/// In files an MLP keeps the form `model.json` always had, any other network is `{"input":
/// [1, 28, 28], "layers": ["conv 32 3", …]}` (see `mlp.rs`).
#[derive(Clone, Debug, PartialEq)]
pub struct Architecture {
    /// One sample's shape: `[features]`, or `[channels, height, width]` for images.
    pub input: Vec<usize>,
    pub layers: Vec<LayerSpec>,
}

/// One row of an architecture's table: the layer, the shape it makes, its weights.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerRow {
    pub layer: LayerSpec,
    pub output: SampleShape,
    /// Trained weights (running statistics not counted).
    pub parameters: usize,
}

impl Architecture {
    /// The hidden layers a user asked for, made whole for data of shape `input` and `outputs`
    /// outputs: an image goes in as one when the first layer that changes shapes works on
    /// images (a convolution, a pool, a flatten), else flattened into features (an MLP); a
    /// `flatten` is put wherever a dense layer meets an image, and the output layer (`dense
    /// outputs`) ends the stack. Checked: the error names the first layer that does not fit,
    /// with the shapes up to it.
    pub fn for_data(input: SampleShape, hidden: &[LayerSpec], outputs: usize) -> Result<Architecture> {
        let shaping = hidden
            .iter()
            .find(|l| !matches!(l, LayerSpec::BatchNorm | LayerSpec::Activation(_) | LayerSpec::Dropout { .. }));
        let as_image = shaping.is_some_and(|l| l.needs_image() || *l == LayerSpec::Flatten);
        let input = match input {
            SampleShape::Image { .. } if !as_image => SampleShape::Flat(input.numel()),
            _ => input,
        };
        let mut layers = Vec::with_capacity(hidden.len() + 2);
        let mut shape = input;
        for &layer in hidden.iter().chain(&[LayerSpec::Dense { units: outputs }]) {
            if matches!(layer, LayerSpec::Dense { .. }) && matches!(shape, SampleShape::Image { .. }) {
                layers.push(LayerSpec::Flatten);
                shape = SampleShape::Flat(shape.numel());
            }
            layers.push(layer);
            shape = layer.output(shape).unwrap_or(shape);
        }
        let architecture = Architecture { input: input.dims(), layers };
        architecture.rows()?;
        Ok(architecture)
    }

    /// One sample's input shape.
    pub fn input_shape(&self) -> Result<SampleShape> {
        SampleShape::of(&self.input).ok_or_else(|| {
            Error::invalid(format!("an input shape is [features] or [channels, height, width], not {:?}", self.input))
        })
    }

    /// Every layer with the shape it makes and its weight count; an error names the first layer
    /// that does not fit, with the shapes up to it.
    pub fn rows(&self) -> Result<Vec<LayerRow>> {
        let mut shape = self.input_shape()?;
        let mut rows: Vec<LayerRow> = Vec::with_capacity(self.layers.len());
        for (i, &layer) in self.layers.iter().enumerate() {
            let output = layer.output(shape).map_err(|why| {
                let mut so_far = format!("input {}", SampleShape::of(&self.input).expect("checked"));
                rows.iter().for_each(|r| so_far.push_str(&format!(" → {} {}", r.layer, r.output)));
                Error::invalid(format!("layer {} (`{layer}`) {why}; the shapes: {so_far} → `{layer}` ✗", i + 1))
            })?;
            if output.dims().contains(&0) {
                return Err(Error::invalid(format!("layer {} (`{layer}`) makes an empty output ({output})", i + 1)));
            }
            let parameters = layer
                .parameters(shape)
                .iter()
                .filter(|p| p.2)
                .map(|(_, dims, _)| dims.iter().fold(1usize, |n, &d| n.saturating_mul(d)))
                .fold(0usize, usize::saturating_add);
            if output.numel() > MAX_SAMPLE_NUMBERS || parameters > MAX_WEIGHTS {
                return Err(Error::invalid(format!(
                    "layer {} (`{layer}`) is too large: {} numbers per sample and {} weights (at most {} and {})",
                    i + 1,
                    group_thousands(output.numel()),
                    group_thousands(parameters),
                    group_thousands(MAX_SAMPLE_NUMBERS),
                    group_thousands(MAX_WEIGHTS)
                )));
            }
            rows.push(LayerRow { layer, output, parameters });
            shape = output;
        }
        if !matches!(shape, SampleShape::Flat(_)) {
            return Err(Error::invalid(format!(
                "the network ends in an image ({shape}); its last layer must be dense"
            )));
        }
        Ok(rows)
    }

    /// Outputs of the last layer.
    pub fn outputs(&self) -> usize {
        let rows = self.rows().unwrap_or_default();
        rows.last().map_or(0, |r| r.output.numel())
    }

    /// Numbers per input sample.
    pub fn input_numel(&self) -> usize {
        self.input.iter().product()
    }

    /// Whether any layer works on images (a convolutional network, not an MLP).
    pub fn is_convolutional(&self) -> bool {
        self.layers.iter().any(|l| l.needs_image())
    }

    /// The layers as `--layers` takes them (the output layer included).
    pub fn spec(&self) -> String {
        spec_of(&self.layers)
    }

    /// The table `train` prints before training and `inspect` shows: each layer, its output
    /// shape and its weights, then the total.
    pub fn table(&self) -> Result<String> {
        let rows = self.rows()?;
        let width = rows.iter().map(|r| r.layer.to_string().chars().count()).max().unwrap_or(0).max(5);
        let mut out = String::new();
        let mut line = |layer: &str, output: &str, weights: &str| {
            let text = format!("  {layer:width$}  {output:>12}  {weights:>10}");
            out.push_str(text.trim_end());
            out.push('\n');
        };
        line("layer", "output", "weights");
        line("input", &self.input_shape()?.to_string(), "");
        for r in &rows {
            let weights = if r.parameters > 0 { group_thousands(r.parameters) } else { String::new() };
            line(&r.layer.to_string(), &r.output.to_string(), &weights);
        }
        line("total", "", &group_thousands(rows.iter().map(|r| r.parameters).sum()));
        Ok(out)
    }
}

/// 1234567 → "1,234,567".
fn group_thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mnist() -> SampleShape {
        SampleShape::Image { channels: 1, height: 28, width: 28 }
    }

    fn parse(spec: &str) -> Vec<LayerSpec> {
        super::super::syntax::parse_layers(spec).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_issues_stack_gets_a_flatten_and_an_output_layer_with_pytorchs_shapes() {
        let hidden = parse("conv 32 3, relu, pool 2, conv 64 3, relu, pool 2, dense 128, relu, dropout 0.25");
        let a = Architecture::for_data(mnist(), &hidden, 10).unwrap();
        assert_eq!(a.input, [1, 28, 28]);
        assert_eq!(
            a.spec(),
            "conv 32 3, relu, maxpool 2, conv 64 3, relu, maxpool 2, flatten, dense 128, relu, dropout 0.25, dense 10"
        );
        let rows = a.rows().unwrap();
        let shapes: Vec<String> = rows.iter().map(|r| r.output.to_string()).collect();
        // 28 − 3 + 1 = 26, pooled 13; 13 − 3 + 1 = 11, pooled ⌊11/2⌋ = 5; 64·5·5 = 1600.
        assert_eq!(shapes[..7], ["32×26×26", "32×26×26", "32×13×13", "64×11×11", "64×11×11", "64×5×5", "1600"]);
        // Weights by hand: 32·1·9 + 32; 64·32·9 + 64; 128·1600 + 128; 10·128 + 10.
        let weights: Vec<usize> = rows.iter().map(|r| r.parameters).filter(|&p| p > 0).collect();
        assert_eq!(weights, [320, 18_496, 204_928, 1_290]);
        assert_eq!(a.outputs(), 10);
    }

    #[test]
    fn an_mlp_on_images_takes_flat_pixels_and_an_mlp_stays_as_it_was() {
        let a = Architecture::for_data(mnist(), &parse("dense 128, relu"), 10).unwrap();
        assert_eq!((a.input.clone(), a.spec()), (vec![784], "dense 128, relu, dense 10".to_string()));
        assert!(!a.is_convolutional());
    }

    #[test]
    fn a_stack_that_does_not_fit_names_the_layer_and_every_shape_before_it() {
        let too_small = SampleShape::Image { channels: 1, height: 8, width: 8 };
        let e = Architecture::for_data(too_small, &parse("conv 8 3, pool 2, conv 8 5"), 2).unwrap_err().to_string();
        assert!(e.contains("layer 3 (`conv 8 5`) needs at least 5×5 pixels"), "{e}");
        assert!(e.contains("input 1×8×8 → conv 8 3 8×6×6 → maxpool 2 8×3×3 → `conv 8 5` ✗"), "{e}");
        let e = Architecture::for_data(SampleShape::Flat(13), &parse("conv 8 3"), 2).unwrap_err().to_string();
        assert!(e.contains("needs an image (channels × rows × columns) but gets 13 features"), "{e}");
        let e = Architecture::for_data(mnist(), &parse("pool 30"), 2).unwrap_err().to_string();
        assert!(e.contains("needs at least 30×30 pixels"), "{e}");
        // 100,000 filters of 100,000² over 28² pixels: refused by size, not overflowed.
        let e = Architecture::for_data(mnist(), &parse("conv 100000 3 pad 100000, dense 100000"), 2).unwrap_err();
        assert!(e.to_string().contains("layer 1 (`conv 100000 3 pad 100000`) is too large"), "{e}");
    }

    #[test]
    fn the_table_lists_shapes_and_weights() {
        let a = Architecture::for_data(mnist(), &parse("conv 4 3, batchnorm, relu, globalavgpool"), 10).unwrap();
        let table = a.table().unwrap();
        assert!(table.contains("conv 4 3"), "{table}");
        assert!(table.contains("4×26×26"), "{table}");
        // conv 4·9 + 4 = 40; batch norm γ, β = 8 (running statistics not counted); dense 10·4 + 10.
        assert!(table.contains("total") && table.ends_with("98\n"), "{table}");
        assert_eq!(group_thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn layers_travel_in_files_as_the_command_lines_text() {
        let a = Architecture::for_data(mnist(), &parse("conv 8 5 stride 2 pad 2, avgpool 2 stride 1"), 3).unwrap();
        let json = serde_json::to_string(&a).unwrap();
        assert!(json.contains(r#""conv 8 5 stride 2 pad 2","avgpool 2 stride 1""#), "{json}");
        assert_eq!(serde_json::from_str::<Architecture>(&json).unwrap(), a);
    }
}
