"""scikit-learn's ``Classifier`` and ``Regressor``: a class's labels and probabilities, a value's
units; everything they share is in ``_network``."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Sequence

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ._network import Network


class Classifier(ClassifierMixin, Network):
    """A neural network classifier, trained as ``backprop train`` trains on a table.

    Takes DataFrames (numbers, text, ``category`` and nullable dtypes, missing cells), Arrow
    tables (polars, pyarrow) and arrays. Defaults are the command line's: two hidden layers of
    128 and 64 ReLU units with dropout 0.1, Adam at 1e-3, batch 64, epochs chosen from the
    table's size with early stopping on 10 % of the rows, the best epoch's weights kept.

    Parameters
    ----------
    hidden : list of int, default None
        The hidden layers' sizes (``--hidden``); None: 128, 64.
    layers : str, default None
        Any stack of layers in ``--layers`` words instead (``"dense 32, tanh, dropout 0.2"``).
    activation : str, default "relu"
        The hidden activation: relu, sigmoid, tanh, gelu, silu, ….
    dropout : float, default None
        Dropout after each hidden layer; None: 0.1.
    optimizer : str, default "adam"
        adam, adamw, sgd, nesterov or rmsprop, with PyTorch's defaults.
    lr : float, default None
        The learning rate; None: 2e-3 for Adam and AdamW, 1e-3 for RMSprop, 0.1 for SGD.
    weight_decay, schedule, warmup, clip_norm
        As ``--weight-decay``, ``--schedule`` (constant, step, exponential, cosine),
        ``--warmup`` (epochs) and ``--clip-norm``.
    epochs : int, default None
        None: enough for about 20,000 steps (10 to 500 epochs) with early stopping.
    batch_size : int, default None
        Samples per step; None: 128.
    early_stop : int, default None
        Epochs without a better validation score (accuracy, then loss; for values the loss) before stopping.
    val_split : float, default 0.1
        The share of the rows held out to keep the best epoch and stop early.
    min_category_count : int, default None
        Categories seen in fewer training rows merge into "other"; None: 5, or 1 % of the rows.
    scaling : str, default "auto"
        Numeric columns: "standard", (x − mean) / std; "robust", (x − median) / IQR, smoothly
        clipped to ±3; "auto", robust for heavy-tailed columns and standard for the rest.
    categorical : list of str, default None
        Columns to read as categories (integer-coded ones); ``category`` dtypes always are.
    class_weight : "balanced" or dict, default None
        Weights of the classes in the cross-entropy (Classifier only).
    label_smoothing : float, default None
        The share of each training target spread evenly over all classes (Classifier only);
        None: 0.
    random_state : int, RandomState or None, default None
        The seed of the split, the initial weights and the batches; None: the command line's 42.
    n_jobs : int, default None
        Training threads; None or -1: every core.
    verbose : int, default 0
        1: the run's description and a line per epoch, or a tqdm bar when tqdm is installed.

    Attributes
    ----------
    classes_ : ndarray
        The classes, sorted; ``predict_proba``'s columns follow them.
    n_features_in_, feature_names_in_
        scikit-learn's: the input columns seen by ``fit``.
    history_ : list of dict
        Every epoch's metrics (losses, accuracy or R², seconds).

    Examples
    --------
    >>> import numpy as np, backprop
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]] * 25)
    >>> y = np.array(["no", "yes", "yes", "no"] * 25)
    >>> model = backprop.Classifier(epochs=300, random_state=0).fit(X, y)
    >>> model.predict([[0.0, 1.0], [1.0, 1.0]]).tolist()
    ['yes', 'no']
    """

    _task = "classify"

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
        class_weight: Optional[str] = None,
        label_smoothing: Optional[float] = None,
        random_state: Any = None,
        n_jobs: Optional[int] = None,
        verbose: int = 0,
    ) -> None:
        super().__init__(
            hidden=hidden,
            layers=layers,
            activation=activation,
            dropout=dropout,
            optimizer=optimizer,
            lr=lr,
            weight_decay=weight_decay,
            schedule=schedule,
            warmup=warmup,
            clip_norm=clip_norm,
            epochs=epochs,
            batch_size=batch_size,
            early_stop=early_stop,
            val_split=val_split,
            min_category_count=min_category_count,
            scaling=scaling,
            categorical=categorical,
            random_state=random_state,
            n_jobs=n_jobs,
            verbose=verbose,
        )
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing

    def _extra_spec(self) -> Dict[str, Any]:
        # "balanced" is the command line's --class-weight; a dict goes by class (_class_weights).
        extra: Dict[str, Any] = {"class_weight": self.class_weight} if isinstance(self.class_weight, str) else {}
        if self.label_smoothing is not None:
            extra["label_smoothing"] = float(self.label_smoothing)
        return extra

    def _class_weights(self) -> Optional[Dict[str, float]]:
        if self.class_weight is None or isinstance(self.class_weight, str):
            return None
        if not isinstance(self.class_weight, Mapping):
            raise ValueError(
                f"class_weight must be None, 'balanced' or a dict from class to weight, not {self.class_weight!r}"
            )
        return {str(c): float(w) for c, w in self.class_weight.items()}

    def _target_cells(self, y: Any) -> Any:
        """The classes as a factorised text column: each row's code into the sorted class names."""
        y = column_or_1d(np.asarray(y) if not hasattr(y, "__array__") else y, warn=True)
        if y.dtype.kind == "f" and np.isnan(y).any():
            raise ValueError("Input y contains NaN: every row needs a class")
        try:
            import pandas as pd
        except ImportError:
            classes, codes = np.unique(y, return_inverse=True)
        else:
            # A hash table, where np.unique sorts every row: on 50,000 rows a tenth of a second.
            codes, classes = pd.factorize(y, sort=True, use_na_sentinel=True)
            if (codes < 0).any():
                raise ValueError("Input y contains NaN: every row needs a class")
            classes = np.asarray(classes, dtype=y.dtype)
        # Continuous or mixed labels are refused by scikit-learn's own check, run on the classes.
        check_classification_targets(classes)
        names = [str(c) for c in classes]
        if len(set(names)) != len(names):
            raise ValueError(f"two classes are written alike: {names}")
        self._fit_classes = classes
        return (np.asarray(codes, dtype=np.int64), names)

    def _after_fit(self, model: Any) -> None:
        self.classes_ = self._fit_classes
        del self._fit_classes
        self._order = np.asarray([model.classes.index(str(c)) for c in self.classes_])

    def _after_load(self, model: Any) -> None:
        names = list(model.classes)
        numeric = all(_is_number(n) for n in names)
        self.classes_ = np.asarray([float(n) if "." in n else int(n) for n in names] if numeric else names)
        self._order = np.arange(len(names))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Each class's probability, one column per class of ``classes_``."""
        return self._outputs(X)[:, self._order]

    def predict(self, X: Any) -> np.ndarray:
        """The most likely class of each row."""
        check_is_fitted(self, "_model")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class Regressor(RegressorMixin, Network):
    """A neural network regressor, trained as ``backprop train --task regress`` trains.

    The target is standardised on the training rows and predictions come back in its units.
    Everything else — parameters (but ``class_weight``), input types, defaults — is as for
    :class:`Classifier`; ``history_`` has each epoch's validation R².

    Examples
    --------
    >>> import numpy as np, backprop
    >>> X = np.linspace(-1, 1, 200).reshape(-1, 1)
    >>> model = backprop.Regressor(random_state=0).fit(X, 3 * X[:, 0] + 1)
    >>> round(float(model.predict([[0.5]])[0]), 1)
    2.5
    """

    _task = "regress"

    def _target_cells(self, y: Any) -> Any:
        y = column_or_1d(y, warn=True)
        try:
            y = np.asarray(y, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise ValueError(f"a regression target must be numbers: {e}") from None
        if not np.all(np.isfinite(y)):
            raise ValueError("Input y contains NaN or infinity: every row needs a finite target")
        return np.ascontiguousarray(y)

    def predict(self, X: Any) -> np.ndarray:
        """The predicted value of each row, in the target's units."""
        return self._outputs(X)[:, 0]


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False
