//! The MLP as `model.json` has always described it (`{"sizes": [4, 128, 64, 3], "activation":
//! "relu", "output": "linear", "dropout": 0.1}`, which a PyTorch script reads in one line): a
//! builder of the general [`Architecture`], the test of whether an architecture is one, and the
//! two forms an architecture takes in files (an MLP keeps this one; any other network is
//! `{"input": [1, 28, 28], "layers": ["conv 32 3", …]}`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Activation;
use super::architecture::Architecture;
use super::layer::LayerSpec;
use crate::error::Error;

/// What an MLP looks like: layer sizes from inputs to outputs, the hidden activation, the output
/// activation (identity for logits), and dropout after each hidden activation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MlpSpec {
    pub sizes: Vec<usize>,
    pub activation: Activation,
    pub output: Activation,
    pub dropout: f64,
}

impl MlpSpec {
    /// The usual classifier or regressor: `activation` after every hidden layer, raw outputs
    /// (logits) from the last one, no dropout.
    pub fn logits(sizes: &[usize], activation: Activation) -> MlpSpec {
        MlpSpec { sizes: sizes.to_vec(), activation, output: Activation::Linear, dropout: 0.0 }
    }

    /// The same network in the general vocabulary: a dense layer per pair of sizes, each
    /// hidden one followed by the activation (and dropout if asked), the last by the output
    /// activation.
    pub fn architecture(&self) -> crate::Result<Architecture> {
        if self.sizes.len() < 2 || self.sizes.contains(&0) {
            return Err(Error::invalid(format!(
                "an MLP needs input and output sizes, none of them 0; got {:?}",
                self.sizes
            )));
        }
        Ok(self.layers_unchecked())
    }

    /// [`MlpSpec::architecture`] whatever the sizes (a file's, checked later with the rest of
    /// the file).
    fn layers_unchecked(&self) -> Architecture {
        let last = self.sizes.len().saturating_sub(2);
        let mut layers = vec![];
        for (i, &units) in self.sizes.iter().skip(1).enumerate() {
            layers.push(LayerSpec::Dense { units });
            if i < last {
                layers.push(LayerSpec::Activation(self.activation));
                // Any dropout but 0 is kept, so a file's bad value reaches its validation.
                if self.dropout != 0.0 {
                    layers.push(LayerSpec::Dropout { p: self.dropout });
                }
            } else if self.output != Activation::Linear {
                layers.push(LayerSpec::Activation(self.output));
            }
        }
        Architecture { input: self.sizes.first().map(|&s| vec![s]).unwrap_or_default(), layers }
    }
}

impl Architecture {
    /// The same network as an [`MlpSpec`], if it is one: dense layers each followed by one
    /// hidden activation (and one dropout), the last by the output activation or none.
    pub fn as_mlp(&self) -> Option<MlpSpec> {
        let [input] = self.input[..] else { return None };
        let mut spec = MlpSpec::logits(&[input], Activation::Linear);
        let mut hidden: Option<(Activation, f64)> = None;
        let mut layers = self.layers.iter().peekable();
        while let Some(layer) = layers.next() {
            let LayerSpec::Dense { units } = *layer else { return None };
            spec.sizes.push(units);
            let activation = match layers.peek() {
                Some(LayerSpec::Activation(a)) => {
                    layers.next();
                    Some(*a)
                }
                _ => None,
            };
            let dropout = match layers.peek() {
                Some(LayerSpec::Dropout { p }) => {
                    layers.next();
                    *p
                }
                _ => 0.0,
            };
            if layers.peek().is_none() {
                if dropout != 0.0 {
                    return None;
                }
                spec.output = activation.unwrap_or(Activation::Linear);
            } else {
                let this = (activation?, dropout);
                if hidden.is_some_and(|h| h != this) {
                    return None;
                }
                hidden = Some(this);
            }
        }
        if spec.sizes.len() < 2 {
            return None;
        }
        (spec.activation, spec.dropout) = hidden.unwrap_or((Activation::Relu, 0.0));
        (spec.layers_unchecked() == *self).then_some(spec)
    }
}

/// How a file holds an architecture (see [`Architecture`]).
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Stored {
    Mlp(MlpSpec),
    Layers { input: Vec<usize>, layers: Vec<LayerSpec> },
}

impl Serialize for Architecture {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self.as_mlp() {
            Some(mlp) => Stored::Mlp(mlp),
            None => Stored::Layers { input: self.input.clone(), layers: self.layers.clone() },
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Architecture {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Architecture, D::Error> {
        Ok(match Stored::deserialize(d)? {
            Stored::Mlp(mlp) => mlp.layers_unchecked(),
            Stored::Layers { input, layers } => Architecture { input, layers },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_mlp_is_recognised_and_kept_in_the_files_old_form() {
        let mlp = MlpSpec { dropout: 0.1, ..MlpSpec::logits(&[4, 8, 6, 3], Activation::Tanh) };
        let a = mlp.architecture().unwrap();
        assert_eq!(a.spec(), "dense 8, tanh, dropout 0.1, dense 6, tanh, dropout 0.1, dense 3");
        assert_eq!(a.as_mlp(), Some(mlp.clone()));
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json, serde_json::to_value(&mlp).unwrap());
        assert_eq!(serde_json::from_value::<Architecture>(json).unwrap(), a);
        let sigmoid_out = MlpSpec { output: Activation::Sigmoid, ..MlpSpec::logits(&[2, 2, 2], Activation::Sigmoid) };
        assert_eq!(sigmoid_out.architecture().unwrap().as_mlp(), Some(sigmoid_out));
        for not_mlp in ["dense 8, relu, dense 6, tanh, dense 3", "dense 8, dense 3", "conv 2 3, flatten, dense 3"] {
            let layers = super::super::syntax::parse_layers(not_mlp).unwrap();
            let input = if not_mlp.starts_with("conv") { vec![1, 5, 5] } else { vec![4] };
            assert_eq!(Architecture { input, layers }.as_mlp(), None, "{not_mlp}");
        }
    }
}
