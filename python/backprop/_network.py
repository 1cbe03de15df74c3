"""What Classifier and Regressor share: ``backprop train``'s hyper-parameters, ``fit`` over the
native module, the plumbing of ``predict``, pickling, the model directory and the exports.

``fit`` trains exactly what ``backprop train`` trains on the same table: the same defaults, the
same reading of every column (numbers standardised, text categories one-hot, missing cells
filled with the training rows' median or mode), 10 % of the rows held out to choose the kept
epoch by validation score. Only the test split is left to the caller: ``fit`` trains on all of
``X`` but the validation part, as any scikit-learn estimator trains on what it is given.
"""

from __future__ import annotations

import json
import numbers
import warnings
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _frame, _native
from ._progress import Progress

#: The command line's seed (``--seed``), used when ``random_state`` is None so a fit repeats.
DEFAULT_SEED = 42


class Network(BaseEstimator):
    """What Classifier and Regressor share: the hyper-parameters of ``backprop train``."""

    _task = ""

    def __init__(
        self,
        *,
        hidden: Optional[Sequence[int]] = None,
        layers: Optional[str] = None,
        activation: str = "relu",
        dropout: Optional[float] = None,
        optimizer: str = "adam",
        lr: Optional[float] = None,
        weight_decay: float = 0.0,
        schedule: Optional[str] = None,
        warmup: float = 0.0,
        clip_norm: Optional[float] = None,
        epochs: Optional[int] = None,
        batch_size: Optional[int] = None,
        early_stop: Optional[int] = None,
        val_split: float = 0.1,
        min_category_count: Optional[int] = None,
        scaling: str = "auto",
        categorical: Optional[Sequence[str]] = None,
        random_state: Any = None,
        n_jobs: Optional[int] = None,
        verbose: int = 0,
    ) -> None:
        self.hidden = hidden
        self.layers = layers
        self.activation = activation
        self.dropout = dropout
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.schedule = schedule
        self.warmup = warmup
        self.clip_norm = clip_norm
        self.epochs = epochs
        self.batch_size = batch_size
        self.early_stop = early_stop
        self.val_split = val_split
        self.min_category_count = min_category_count
        self.scaling = scaling
        self.categorical = categorical
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    # -- scikit-learn's protocol -------------------------------------------------------------

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Missing cells are filled as `backprop train` fills them (median or mode of the
        # training rows, with an indicator column), and text columns are categories.
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        # Sparse input (a one-hot encoder's output in a pipeline) is read densely.
        tags.input_tags.sparse = True
        return tags

    def __getstate__(self) -> Dict[str, Any]:
        state = dict(super().__getstate__())  # a copy: the base may return the live __dict__
        model = state.pop("_model", None)
        if model is not None:
            # The weights travel in the pickle as the model directory's two files.
            state["_model_files"] = model.to_files()
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        files = state.pop("_model_files", None)
        super().__setstate__(state)
        if files is not None:
            self._model = _native.Model.from_files(*files)

    # -- fitting -----------------------------------------------------------------------------

    def _seed(self) -> int:
        if self.random_state is None:
            return DEFAULT_SEED
        if isinstance(self.random_state, numbers.Integral):
            return int(self.random_state) % 2**63
        return int(check_random_state(self.random_state).randint(2**31 - 1))

    def _spec(self, target: str, categorical: List[str]) -> Dict[str, Any]:
        """The training settings as the library's ``TrainSpec`` (its JSON field names)."""
        if not (isinstance(self.val_split, numbers.Real) and 0 <= self.val_split < 1):
            raise ValueError(f"val_split must be at least 0 and below 1, got {self.val_split!r}")
        if self.batch_size is not None and not (isinstance(self.batch_size, numbers.Integral) and self.batch_size >= 1):
            raise ValueError(f"batch_size must be a positive integer or None, got {self.batch_size!r}")
        extra = list(self.categorical or [])
        spec: Dict[str, Any] = {
            "target": target,
            "task": self._task,
            "categorical": sorted(set(categorical) | set(extra)),
            "test_split": 0.0,
            "val_split": float(self.val_split),
            "activation": self.activation,
            "optimizer": self.optimizer,
            "weight_decay": float(self.weight_decay),
            "warmup": float(self.warmup),
            "scaling": self.scaling,
            "seed": self._seed(),
        }
        optional = {
            "hidden": None if self.hidden is None else [int(h) for h in self.hidden],
            "layers": self.layers,
            "dropout": self.dropout,
            "lr": self.lr,
            "schedule": self.schedule,
            "clip_norm": self.clip_norm,
            "epochs": self.epochs,
            "batch_size": None if self.batch_size is None else int(self.batch_size),
            "early_stop": self.early_stop,
            "min_category_count": self.min_category_count,
        }
        spec.update({k: v for k, v in optional.items() if v is not None})
        spec.update(self._extra_spec())
        return spec

    def _extra_spec(self) -> Dict[str, Any]:
        return {}

    def _class_weights(self) -> Optional[Dict[str, float]]:
        return None

    def _target_cells(self, y: Any) -> list:
        raise NotImplementedError

    def fit(self, X: Any, y: Any = None) -> "Network":
        """Trains on ``X`` (a DataFrame, an Arrow table, an array) and ``y``; returns self.

        10 % of the rows (``val_split``) are held out to pick the kept epoch by validation score
        and to stop early. Ctrl-C stops training between two steps: the estimator keeps the
        best weights of the finished epochs (a warning says which) and KeyboardInterrupt is
        raised again; interrupted before any epoch finished, it is left as it was.
        """
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None.")
        columns, names, categorical = _frame.columns_of(X)
        rows = _frame.n_rows(columns)
        y_cells = self._target_cells(y)
        if _frame.n_rows([("y", y_cells)]) != rows:
            raise ValueError(f"X has {rows} rows but y has {_frame.n_rows([('y', y_cells)])} values")
        if rows < 2 and self.val_split > 0:
            raise ValueError(
                f"Found n_samples={rows}: backprop needs at least 2 samples (one to train on, one to validate)"
            )
        target = self._target_name(y, names)
        spec = self._spec(target, categorical)
        empty = _frame.empty_columns(columns)
        if empty:
            # `backprop train` refuses such a column and names it; here (a fold of a
            # cross-validation, say) it is left out with a warning, as scikit-learn's imputers do.
            warnings.warn(f"columns with no values left out: {', '.join(empty)}", UserWarning, stacklevel=2)
            spec["ignore"] = empty
        progress = Progress(self.verbose)
        model, interrupted, _description, history = _native.train(
            columns + [(target, y_cells)],
            json.dumps(spec),
            n_jobs=self.n_jobs,
            class_weights=self._class_weights(),
            on_start=progress.start if self.verbose else None,
            on_epoch=progress.epoch if self.verbose else None,
        )
        progress.close()
        if model is None:
            # Interrupted before the first epoch ended: nothing is changed.
            raise KeyboardInterrupt
        validate_data(self, X, reset=True, skip_check_array=True)
        self._model = model
        self._columns = names
        self._first_row = ([(name, _frame.head(values)) for name, values in columns], _frame.first(y_cells))
        self.history_ = json.loads(history)
        self._after_fit(model)
        if interrupted:
            kept, trained = model.epochs
            warnings.warn(
                f"training interrupted after {trained} finished epochs; {type(self).__name__} keeps the "
                f"weights of epoch {kept} (the best on the validation part so far)",
                RuntimeWarning,
                stacklevel=2,
            )
            raise KeyboardInterrupt
        return self

    def _after_fit(self, model: Any) -> None:
        pass

    @staticmethod
    def _target_name(y: Any, features: Sequence[str]) -> str:
        name = getattr(y, "name", None)
        base = name if isinstance(name, str) and name else "target"
        candidate, n = base, 1
        while candidate in features:
            candidate, n = f"{base}_{n}", n + 1
        return candidate

    # -- predicting --------------------------------------------------------------------------

    def _outputs(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "_model")
        columns, _, _ = _frame.columns_of(X)
        validate_data(self, X, reset=False, skip_check_array=True)
        # Columns are matched by position (scikit-learn checked their names and order), under
        # the names the model was trained with.
        columns = [(name, values) for name, (_, values) in zip(self._columns, columns)]
        outputs, _notes = self._model.predict(columns, n_jobs=self.n_jobs)
        return outputs

    def first_example(self, learning_rate: float = 0.001) -> Dict[str, Any]:
        """The fitted network on its first training row, as a network dict :func:`backprop.explain` reads.

        Every weight is the fitted model's; the step shown is one plain gradient-descent step
        of ``learning_rate``. Explain writes out networks of up to 10,000 parameters: fit a
        small one (``hidden=[8]``) to see every number of a real table's model.
        """
        check_is_fitted(self, "_model")
        first = getattr(self, "_first_row", None)
        if first is None:
            raise ValueError(
                "this model was loaded from a directory and has no training rows; pass explain a network dict"
            )
        columns, target = first
        target = target if isinstance(target, str) else float(target)
        return json.loads(self._model.network_file(columns, target, learning_rate))

    # -- the model directory and exports -----------------------------------------------------

    def save(self, path: str) -> None:
        """Writes the model directory ``backprop eval``, ``predict`` and ``export`` read."""
        check_is_fitted(self, "_model")
        self._model.save(str(path))

    @classmethod
    def load(cls, path: str) -> "Network":
        """An estimator fitted with the model in a directory written by ``backprop train`` or ``save``."""
        model = _native.Model.load(str(path))
        if (model.classes is not None) != (cls._task == "classify"):
            kind = "classes" if model.classes is not None else "values"
            raise ValueError(f"{path}: the model predicts {kind}; load it with the other estimator")
        estimator = cls()
        estimator._model = model
        estimator._columns = list(model.columns)
        estimator.n_features_in_ = len(estimator._columns)
        if not all(c.startswith("x") and c[1:].isdigit() for c in estimator._columns):
            estimator.feature_names_in_ = np.asarray(estimator._columns, dtype=object)
        estimator.history_ = []
        estimator._after_load(model)
        return estimator

    def _after_load(self, model: Any) -> None:
        pass

    def export_onnx(self, path: str) -> None:
        """Writes the fitted model as one ONNX file, its preprocessing in the graph."""
        check_is_fitted(self, "_model")
        self._model.export_onnx(str(path))

    def export_torch(self, path: str) -> List[str]:
        """Writes the fitted model as a PyTorch folder (``model.py``, weights, README); returns the file names."""
        check_is_fitted(self, "_model")
        return list(self._model.export_torch(str(path)))
