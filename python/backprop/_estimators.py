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

    Parameters are ``backprop train``'s options by the same names (``hidden``, ``layers``,
    ``activation``, ``dropout``, ``optimizer``, ``lr``, ``weight_decay``, ``schedule``,
    ``warmup``, ``clip_norm``, ``epochs``, ``batch_size``, ``early_stop``, ``val_split``,
    ``min_category_count``, ``categorical``, ``class_weight``), with scikit-learn's
    ``random_state`` (None: the command line's seed, 42), ``n_jobs`` (None: all cores) and
    ``verbose`` (1: a line per epoch, or a tqdm bar when tqdm is installed).

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
        batch_size: int = 64,
        early_stop: Optional[int] = None,
        val_split: float = 0.1,
        min_category_count: Optional[int] = None,
        categorical: Optional[Sequence[str]] = None,
        class_weight: Optional[str] = None,
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
            categorical=categorical,
            random_state=random_state,
            n_jobs=n_jobs,
            verbose=verbose,
        )
        self.class_weight = class_weight

    def _extra_spec(self) -> Dict[str, Any]:
        # "balanced" is the command line's --class-weight; a dict goes by class (_class_weights).
        return {"class_weight": self.class_weight} if isinstance(self.class_weight, str) else {}

    def _class_weights(self) -> Optional[Dict[str, float]]:
        if self.class_weight is None or isinstance(self.class_weight, str):
            return None
        if not isinstance(self.class_weight, Mapping):
            raise ValueError(
                f"class_weight must be None, 'balanced' or a dict from class to weight, not {self.class_weight!r}"
            )
        return {str(c): float(w) for c, w in self.class_weight.items()}

    def _target_cells(self, y: Any) -> list:
        y = column_or_1d(np.asarray(y) if not hasattr(y, "__array__") else y, warn=True)
        check_classification_targets(y)
        if y.dtype == object and any(v is None or (isinstance(v, float) and v != v) for v in y):
            raise ValueError("Input y contains NaN: every row needs a class")
        classes, codes = np.unique(y, return_inverse=True)
        names = [str(c) for c in classes]
        if len(set(names)) != len(names):
            raise ValueError(f"two classes are written alike: {names}")
        self._fit_classes = classes
        return [names[c] for c in codes]

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
    Everything else — parameters, input types, defaults — is as for :class:`Classifier`.

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
