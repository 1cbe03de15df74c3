//! A trained model as one value: its description (`model.json`: the schema, the classes, the
//! architecture), the network and its weights — saved to and loaded from a model directory,
//! trained from a spec in one call, and asked for predictions on a file or on encoded rows.
//! The command line's `eval`, `predict`, `inspect` and `export` and any library user share it.

use std::path::{Path, PathBuf};

use super::read::{load_features_for_model, load_image_files_for_model, notes};
use super::training::{Resume, Training};
use crate::autograd::ParamStore;
use crate::data::Scale;
use crate::data::table::Table;
use crate::error::{Error, Result};
use crate::export::{onnx, torch};
use crate::io::{InputKind, ModelDir, ModelInfo, params_to_safetensors};
use crate::loss::Loss;
use crate::network::{LayerFile, NetworkFile, TargetsFile};
use crate::nn::{Activation, Layer, Sequential};
use crate::tensor::kernels::argmax;
use crate::tensor::{Tensor, Threads};
use crate::train::{Control, every_epoch};
use crate::train::{DataFiles, TrainSpec};

/// A model with its weights and everything needed to feed it new data.
#[derive(Clone, Debug)]
pub struct TrainedModel {
    pub info: ModelInfo,
    pub model: Sequential,
    pub params: ParamStore<f32>,
}

/// A model's outputs for some samples, and what they mean.
#[derive(Clone, Debug)]
pub struct Predictions {
    /// The network's raw outputs [samples, outputs]: logits for classes, standardised values
    /// for a table's regression.
    pub outputs: Tensor<f32>,
    /// The class names (classification) or the outputs' names (regression).
    pub names: Vec<String>,
    pub classify: bool,
    /// How a regression output maps back to the file's units.
    pub scale: Scale,
    /// Where each row came from, when the rows are files (images).
    pub files: Option<Vec<String>>,
}

impl TrainedModel {
    /// Trains on `files` as `spec` says, on all cores, with no output: the data is split, the
    /// schema fitted on the training rows, and the kept weights are the best epoch's on the
    /// validation part (or the last epoch's without validation).
    pub fn train(files: &DataFiles, spec: &TrainSpec) -> Result<TrainedModel> {
        let mut training = Training::new(files.clone(), spec.clone(), Threads::all())?;
        let report = training.run(&Resume::default(), &mut every_epoch(|_, _| Control::Continue))?;
        let epochs = report.history.last().map_or(0, |m| m.epoch);
        Ok(training.into_model(report, epochs))
    }

    /// Reads a model directory written by `backprop train` or [`TrainedModel::save`].
    pub fn load(dir: impl AsRef<Path>) -> Result<TrainedModel> {
        let (info, model, params) = ModelDir::new(dir.as_ref()).load_model()?;
        Ok(TrainedModel { info, model, params })
    }

    /// Writes `model.safetensors` and `model.json` into `dir` (created if need be), each
    /// atomically.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = ModelDir::new(dir.as_ref());
        dir.create()?;
        dir.save_model(&self.info, &self.params)
    }

    /// Predictions for the samples of a file of the kind the model was trained on (a table's
    /// target column may be absent), with the notes a user should hear about the file (columns
    /// not used, unseen categories, missing cells).
    pub fn predict_file(&self, path: &Path, threads: Threads) -> Result<(Predictions, Vec<String>)> {
        self.predict_files(&[path.to_path_buf()], threads)
    }

    /// [`TrainedModel::predict_file`] for several inputs: an image model takes any number of
    /// PNG or JPEG files and folders of them (each row then names its file); other models one
    /// file.
    pub fn predict_files(&self, paths: &[PathBuf], threads: Threads) -> Result<(Predictions, Vec<String>)> {
        if self.info.input == InputKind::Images {
            let (pixels, notes) = load_image_files_for_model(&self.info, paths)?;
            let mut predictions = self.predict(&pixels.features, threads);
            predictions.files = Some(pixels.files.iter().map(|p| p.display().to_string()).collect());
            return Ok((predictions, notes));
        }
        let [path] = paths else {
            return Err(Error::invalid(format!(
                "a model trained on {} data predicts one file at a time; {} were given",
                self.info.input,
                paths.len()
            )));
        };
        let (features, notes) = load_features_for_model(&self.info, path)?;
        Ok((self.predict(&features, threads), notes))
    }

    /// Predictions for the rows of a table built in memory ([`Table::from_columns`]), its
    /// columns found by name as a file's are, with the notes of [`TrainedModel::predict_file`].
    pub fn predict_table(&self, table: &Table, threads: Threads) -> Result<(Predictions, Vec<String>)> {
        let schema = self.info.table.as_ref().ok_or_else(|| {
            Error::invalid(format!("the model was trained on {} data, not on a table", self.info.input))
        })?;
        let rows: Vec<usize> = (0..table.rows()).collect();
        let (features, report) = schema.encode(table, &rows)?;
        Ok((self.predict(&features, threads), notes(table, &report, &table.path)))
    }

    /// The model directory's two files in memory: `model.json`'s text and
    /// `model.safetensors`'s bytes (what a Python pickle of a fitted estimator carries).
    pub fn to_files(&self) -> Result<(String, Vec<u8>)> {
        ModelDir::model_files(&self.info, &self.params)
    }

    /// A model from the two files of [`TrainedModel::to_files`], checked as
    /// [`TrainedModel::load`] checks a directory; errors name `name`.
    pub fn from_files(name: &Path, json: &str, weights: &[u8]) -> Result<TrainedModel> {
        let (info, model, params) = ModelDir::model_from_files(name, json, weights)?;
        Ok(TrainedModel { info, model, params })
    }

    /// The model as one ONNX file, its description (`model.json`) and `extra` (name, text)
    /// pairs in the file's metadata.
    pub fn export_onnx(&self, extra: Vec<(String, String)>) -> Result<Vec<u8>> {
        onnx::export(&self.info, &self.params, &self.metadata(extra)?)
    }

    /// The model as a PyTorch folder's files: (name, bytes) of `model.py`, the weights, a README.
    pub fn export_torch(&self) -> Result<Vec<(&'static str, Vec<u8>)>> {
        torch::export(&self.info, params_to_safetensors(&self.params, None)?)
    }

    fn metadata(&self, extra: Vec<(String, String)>) -> Result<Vec<(String, String)>> {
        let json =
            serde_json::to_string(&self.info).map_err(|e| Error::invalid(format!("cannot describe the model: {e}")))?;
        Ok([("model_json".to_string(), json)].into_iter().chain(extra).collect())
    }

    /// The model on one encoded example (`features`, `target`) as a network file `explain`
    /// reads: each dense layer with its weights and the activation after it, softmax with
    /// cross-entropy for classes (`target` a class index) or a linear output with MSE for
    /// values (`target` standardised as in training), one plain gradient-descent step of
    /// `learning_rate`. Dropout passes values through, as at inference; any other layer
    /// (convolutions, batch normalisation) is refused by name.
    pub fn network_file(&self, features: &[f32], target: TargetsFile, learning_rate: f64) -> Result<NetworkFile> {
        let mut layers: Vec<LayerFile> = vec![];
        for layer in &self.model.layers {
            match layer {
                Layer::Linear(linear) => {
                    let weight = self.params.get(linear.weight).data();
                    let weights = weight.chunks(linear.inputs).map(|row| row.iter().map(|&w| w as f64).collect());
                    let biases = self.params.get(linear.bias).data().iter().map(|&b| b as f64).collect();
                    layers.push(LayerFile { weights: weights.collect(), biases, activation: Activation::Linear });
                }
                Layer::Activation(activation) => match layers.last_mut() {
                    Some(last) => last.activation = *activation,
                    None => return Err(Error::invalid("explain needs a dense layer before the first activation")),
                },
                Layer::Dropout(_) => {}
                other => {
                    return Err(Error::invalid(format!(
                        "explain writes out dense networks; this model has a {} layer",
                        other.spec()
                    )));
                }
            }
        }
        let loss = match self.info.classes {
            Some(_) => {
                if let Some(last) = layers.last_mut() {
                    last.activation = Activation::Softmax;
                }
                Loss::CrossEntropy
            }
            None => Loss::Mse,
        };
        let inputs = features.iter().map(|&x| x as f64).collect();
        Ok(NetworkFile { inputs, targets: target, layers, loss, learning_rate, update_biases: true })
    }

    /// Predictions for encoded features [samples, features].
    pub fn predict(&self, features: &Tensor<f32>, threads: Threads) -> Predictions {
        let outputs = self.model.predict(&self.params, features, threads);
        let width = outputs.dims()[1];
        let (names, classify) = match (&self.info.classes, &self.info.outputs) {
            (Some(classes), _) => (classes.clone(), true),
            (None, Some(outputs)) => (outputs.clone(), false),
            (None, None) => ((0..width).map(|i| format!("output_{i}")).collect(), false),
        };
        let scale = self.info.table.as_ref().and_then(|t| t.target_scale).unwrap_or(Scale::IDENTITY);
        Predictions { outputs, names, classify, scale, files: None }
    }
}

impl Predictions {
    pub fn len(&self) -> usize {
        self.outputs.dims()[0]
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Classification: each sample's most likely class.
    pub fn classes(&self) -> Option<Vec<&str>> {
        let width = self.outputs.dims()[1].max(1);
        self.classify
            .then(|| self.outputs.data().chunks_exact(width).map(|row| self.names[argmax(row)].as_str()).collect())
    }

    /// Regression: each sample's values, in the file's units.
    pub fn values(&self) -> Option<Vec<Vec<f32>>> {
        let width = self.outputs.dims()[1].max(1);
        (!self.classify).then(|| {
            self.outputs
                .data()
                .chunks_exact(width)
                .map(|row| row.iter().map(|&v| self.scale.invert(v)).collect())
                .collect()
        })
    }

    /// As `backprop predict` writes them: `class,p_<class>…` with each class's probability,
    /// or the values under the outputs' names.
    pub fn to_csv(&self) -> String {
        let width = self.outputs.dims()[1].max(1);
        let mut csv = String::new();
        // A file's name is quoted as CSV quotes any field (doubling its quotes).
        let file =
            |i: usize| self.files.as_ref().map_or(String::new(), |f| format!("\"{}\",", f[i].replace('"', "\"\"")));
        if self.files.is_some() {
            csv.push_str("file,");
        }
        if self.classify {
            let probabilities = self.outputs.softmax(1);
            csv.push_str("class");
            self.names.iter().for_each(|n| csv.push_str(&format!(",p_{n}")));
            csv.push('\n');
            for (i, row) in probabilities.data().chunks_exact(width).enumerate() {
                csv.push_str(&file(i));
                csv.push_str(&self.names[argmax(row)]);
                row.iter().for_each(|p| csv.push_str(&format!(",{p}")));
                csv.push('\n');
            }
        } else {
            csv.push_str(&self.names.join(","));
            csv.push('\n');
            for (i, row) in self.values().expect("regression").iter().enumerate() {
                csv.push_str(&file(i));
                csv.push_str(&row.iter().map(f32::to_string).collect::<Vec<_>>().join(","));
                csv.push('\n');
            }
        }
        csv
    }
}
