//! One training run, prepared: the data read, split and encoded ([`super::parts`]), the run
//! planned ([`super::plan`]), the model and optimiser built — then trained by the library's
//! loop under any observer, tested, and turned into a [`TrainedModel`]. The command line adds
//! its progress, its model directory and `--resume` around the same steps.

use super::parts::{Parts, from_table, load};
use super::plan::{TestSet, TrainPlan, plan};
use super::trained::TrainedModel;
use crate::autograd::ParamStore;
use crate::data::table::Table;
use crate::data::{Dataset, Targets};
use crate::error::Result;
use crate::io::{MODEL_FORMAT, MODEL_VERSION, ModelInfo};
use crate::metrics::BinaryScores;
use crate::nn::Sequential;
use crate::optim::Optimizer;
use crate::tensor::{Tensor, Threads};
use crate::train::{Best, EpochMetrics, Evaluation, Learner, Observer, Run, TrainReport, evaluate_with_outputs, train};
use crate::train::{DataFiles, TrainSpec};

/// A run ready to train: what was asked, what was decided, the data, the model.
pub struct Training {
    pub files: DataFiles,
    pub spec: TrainSpec,
    pub plan: TrainPlan,
    pub parts: Parts,
    /// `model.json` as it will be written (epochs still at 0).
    pub info: ModelInfo,
    pub learner: Learner,
}

/// Where a run starts: from scratch, or after the epochs a checkpoint holds.
#[derive(Clone, Debug, Default)]
pub struct Resume {
    pub epoch: usize,
    pub history: Vec<EpochMetrics>,
    pub best: Option<Best>,
}

/// The kept model on the test set.
#[derive(Clone, Debug)]
pub struct TestScores {
    pub samples: usize,
    pub evaluation: Evaluation,
    /// Two classes: the scores of the second one as the positive class, with its name.
    pub binary: Option<(String, BinaryScores)>,
}

impl TestScores {
    /// The scores by name, as `eval --json` names them: accuracy and loss for classes (with
    /// two classes also the second one's ROC AUC and F1); R², MAE, RMSE (in the target's units)
    /// and loss for values.
    pub fn named(&self) -> Vec<(&'static str, f64)> {
        let e = &self.evaluation;
        match (e.accuracy, e.regression) {
            (_, Some(r)) => vec![("r2", r.r2), ("mae", r.mae), ("rmse", r.rmse), ("loss", e.loss)],
            (accuracy, None) => {
                let mut named = vec![("accuracy", accuracy.unwrap_or(f64::NAN)), ("loss", e.loss)];
                if let Some((_, b)) = &self.binary {
                    named.extend([("roc_auc", b.auc), ("f1", b.f1)]);
                }
                named
            }
        }
    }
}

impl Training {
    /// Checks the spec, reads and splits the data, plans the run on `threads` and builds the
    /// model and optimiser the plan calls for (with the class weights it asks for).
    pub fn new(files: DataFiles, spec: TrainSpec, threads: Threads) -> Result<Training> {
        spec.validate(&files)?;
        let parts = load(&files, &spec)?;
        Training::from_parts(files, spec, parts, threads)
    }

    /// [`Training::new`] for a table built in memory ([`Table::from_columns`]), its target the
    /// column `spec.target` names; `spec.test_split` may be 0 to keep no test part.
    pub fn from_table(table: Table, spec: TrainSpec, threads: Threads) -> Result<Training> {
        spec.validate_options()?;
        let files = DataFiles::new(&table.path);
        let parts = from_table(table, &spec)?;
        Training::from_parts(files, spec, parts, threads)
    }

    /// A run on parts already split (a cross-validation's fold).
    pub(super) fn from_parts(files: DataFiles, spec: TrainSpec, parts: Parts, threads: Threads) -> Result<Training> {
        let mut plan = plan(&spec, parts.test_source.clone(), &parts.describe())?;
        plan.config.threads = threads;
        if let (Some(weighting), Targets::Classes { labels, names }) = (plan.class_weight, &parts.train.targets) {
            plan.config.class_weights = Some(weighting.weights(labels, names.len()));
        }
        let mut params = ParamStore::new();
        let model = Sequential::new(&plan.architecture, &mut params, &mut crate::rng(plan.config.seed))?;
        let optimizer = Optimizer::new(plan.optimizer, plan.optimizer_settings);
        let (classes, outputs) = match &parts.train.targets {
            Targets::Classes { names, .. } => (Some(names.clone()), None),
            Targets::Values { names, .. } => (None, Some(names.clone())),
        };
        let info = ModelInfo {
            format: MODEL_FORMAT.to_string(),
            version: MODEL_VERSION,
            architecture: plan.architecture.clone(),
            task: plan.task,
            loss: plan.config.loss,
            input: plan.kind,
            features: parts.train.feature_names.clone(),
            classes,
            outputs,
            table: parts.schema.clone(),
            image: parts.train.image,
            epochs_trained: 0,
            weights_from_epoch: 0,
        };
        Ok(Training { files, spec, plan, parts, info, learner: Learner { model, params, optimizer } })
    }

    /// Trains the planned epochs after `from` under `observer`: the library's loop on the
    /// training part, validating on the validation part.
    pub fn run(&mut self, from: &Resume, observer: &mut (dyn Observer + Send)) -> Result<TrainReport> {
        let config = &self.plan.config;
        let run = Run {
            data: &self.parts.train,
            val: self.parts.val.as_ref(),
            config,
            start_epoch: from.epoch,
            history: &from.history,
            best: from.best.as_ref(),
        };
        train(&mut self.learner, run, observer)
    }

    /// `params` (the kept weights) on the test part, with each sample's outputs.
    pub fn test(&self, params: &ParamStore<f32>) -> Result<TestScores> {
        let test = &self.parts.test;
        let model = &self.learner.model;
        let mut outputs = Vec::with_capacity(test.len() * model.outputs());
        let cfg = &self.plan.config;
        let evaluation = evaluate_with_outputs(model, params, test, cfg.loss, cfg.threads, |chunk| {
            outputs.extend_from_slice(chunk)
        })?;
        let binary = match &test.targets {
            Targets::Classes { labels, names } if names.len() == 2 => {
                let logits = Tensor::new(outputs, [test.len(), 2]);
                Some((names[1].clone(), BinaryScores::of_logits(labels, &logits)))
            }
            _ => None,
        };
        Ok(TestScores { samples: test.len(), evaluation, binary })
    }

    /// The trained model: the kept weights of `report`, described.
    pub fn into_model(self, report: TrainReport, epochs_trained: usize) -> TrainedModel {
        let info = ModelInfo { epochs_trained, weights_from_epoch: report.kept_epoch, ..self.info };
        TrainedModel { info, model: self.learner.model, params: report.kept }
    }

    /// The run before it starts, so the user sees every default that was chosen and what
    /// each column became.
    pub fn describe(&self) -> String {
        let (train, parts) = (&self.parts.train, &self.parts);
        let task = match &train.targets {
            Targets::Classes { names, .. } => format!("classification, {} classes", names.len()),
            Targets::Values { names, .. } => format!("regression of {}", names.join(", ")),
        };
        let target = train.target_column.as_deref().map_or(String::new(), |t| format!(", target column {t:?}"));
        let test = match &parts.test_source {
            TestSet::File(path) => format!("{} ({} samples)", path.display(), parts.test.len()),
            // A table handed over in memory: its caller keeps its own test rows.
            TestSet::HeldOut(f) if *f == 0.0 => "none held out here".to_string(),
            TestSet::Fold { fold, of } => format!("fold {} of {of} ({} samples)", fold + 1, parts.test.len()),
            TestSet::HeldOut(f) => {
                format!("{} % of the data held out ({} samples)", (f * 100.0).round(), parts.test.len())
            }
        };
        let mut columns = String::new();
        if let Some(schema) = &parts.schema {
            for line in schema.summary() {
                columns.push_str(&format!("columns: {line}\n"));
            }
        }
        for note in &parts.notes {
            columns.push_str(&format!("note: {note}\n"));
        }
        if let (Some(weights), Targets::Classes { names, .. }) = (&self.plan.config.class_weights, &train.targets) {
            let list: Vec<String> = names.iter().zip(weights).map(|(n, w)| format!("{n} {w:.3}")).collect();
            columns.push_str(&format!("class weights (balanced): {}\n", list.join(", ")));
        }
        let (arch, cfg) = (&self.plan.architecture, &self.plan.config);
        let weights: usize = arch.rows().map_or(0, |rows| rows.iter().map(|r| r.parameters).sum());
        let model = match arch.as_mlp() {
            Some(mlp) => {
                let sizes: Vec<String> = mlp.sizes.iter().map(|s| s.to_string()).collect();
                let dropout = if mlp.dropout > 0.0 { format!(", dropout {}", mlp.dropout) } else { String::new() };
                format!("MLP {} with {} hidden activation{dropout}", sizes.join("-"), mlp.activation)
            }
            None => arch.spec(),
        };
        // An MLP's one line says it all; any other network's shapes are shown layer by layer.
        let table = if arch.as_mlp().is_some() { String::new() } else { arch.table().unwrap_or_default() };
        let warmup = if cfg.lr.warmup > 0.0 { format!(", {} warm-up epochs", cfg.lr.warmup) } else { String::new() };
        let early = cfg.early_stop.map_or(String::new(), |e| format!(", early stop after {e}"));
        let smoothing = if cfg.label_smoothing > 0.0 {
            format!(" with label smoothing {}", cfg.label_smoothing)
        } else {
            String::new()
        };
        let augment = cfg.augment.map_or(String::new(), |a| {
            let mut parts = vec![];
            if a.shift > 0.0 {
                parts.push(format!("shifted up to {} px", a.shift));
            }
            if a.rotate > 0.0 {
                parts.push(format!("turned up to {}°", a.rotate));
            }
            if a.flip {
                parts.push("mirrored at random".to_string());
            }
            format!("\naugmentation: each training image {} at every step", parts.join(", "))
        });
        format!(
            "data: {} ({}, {}{target}), {task}\n\
             {columns}\
             split: {} training, {} validation; test: {test}\n\
             model: {model}, {weights} weights; loss {}{smoothing}\n\
             {table}\
             training: {} epochs, batch {}, {} lr {} ({} schedule{warmup}), seed {}, {} threads{early}{augment}",
            self.files.data.display(),
            self.info.input,
            match train.image {
                Some([c, h, w]) => format!("images of {c}×{h}×{w}"),
                None => format!("{} features", train.width()),
            },
            train.len(),
            parts.val.as_ref().map_or(0, Dataset::len),
            cfg.loss,
            cfg.epochs,
            cfg.batch_size,
            self.learner.optimizer.describe(),
            cfg.lr.base,
            cfg.lr.schedule.name(),
            cfg.seed,
            cfg.threads.get(),
        )
    }
}
