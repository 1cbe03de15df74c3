"""Tables from Python into the native module's columns.

``columns_of(X)`` turns a pandas DataFrame, anything with the Arrow PyCapsule interface
(polars, pyarrow), a numpy array or a list of rows into ``[(name, values), ...]``: numeric
columns as float arrays with NaN where a cell is missing (an array's float64 or float32 columns
as views of it, without a copy), other columns as lists of cells (``None``, ``str``, numbers).
The native side then decides each column's kind exactly as ``backprop train`` does for a CSV
file, so a DataFrame and the same table written to CSV train alike.
"""

from __future__ import annotations

from typing import Any, List, Sequence, Tuple

import numpy as np
from sklearn.utils.validation import check_array

Columns = List[Tuple[str, Any]]


def _is_pandas(X: Any) -> bool:
    return type(X).__module__.startswith("pandas") and hasattr(X, "dtypes") and hasattr(X, "columns")


def _has_arrow(X: Any) -> bool:
    return hasattr(X, "__arrow_c_stream__") and not _is_pandas(X)


def positional_names(n: int) -> List[str]:
    """The names of an array's columns: ``x0``, ``x1``, … (as scikit-learn's ``get_feature_names_out``)."""
    return [f"x{j}" for j in range(n)]


def n_rows(columns: Columns) -> int:
    """The rows of a table of columns."""
    if not columns:
        return 0
    values = columns[0][1]
    return len(values[0]) if isinstance(values, tuple) else len(values)


def empty_columns(columns: Columns) -> List[str]:
    """The columns whose every cell is missing."""
    empty = []
    for name, values in columns:
        if isinstance(values, np.ndarray) and values.dtype.kind == "f":
            if np.isnan(values).all():
                empty.append(name)
        elif isinstance(values, tuple):  # (codes, values): every code -1
            if (values[0] < 0).all():
                empty.append(name)
        elif all(v is None for v in values):
            empty.append(name)
    return empty


def head(values: Any) -> Any:
    """A column's first row, as a column."""
    if isinstance(values, tuple):
        codes, distinct = values
        return (codes[:1], distinct)
    return values[:1]


def first(values: Any) -> Any:
    """A column's first cell."""
    if isinstance(values, tuple):
        codes, distinct = values
        return None if codes[0] < 0 else distinct[codes[0]]
    return values[0]


#: Text read as a missing cell, as ``backprop train`` reads a CSV file's cells.
MISSING_MARKERS = frozenset(["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?", "-"])


def _is_missing(v: Any) -> bool:
    """None, NaN, pd.NA, NaT, or the text a CSV file's missing cells hold."""
    if v is None:
        return True
    if isinstance(v, str):
        return v.strip() in MISSING_MARKERS
    if isinstance(v, float):
        return v != v
    return type(v).__name__ in ("NAType", "NaTType")


def _cells(values: np.ndarray) -> list:
    """An object array as a list of cells, every missing value as None."""
    return [None if _is_missing(v) else v for v in values.tolist()]


def _text_column(name: str, values: np.ndarray, columns: Columns, categorical: List[str]) -> None:
    """An object column. With pandas, factorised: ``(codes, values)``, each row a code into the
    distinct values (-1 where missing), so a text is handed over once, not once per row. A column
    that mixes text and numbers is read as categories (its dtype says it is not a numeric
    column), where ``backprop train`` would ask which it is."""
    try:
        import pandas as pd

        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except (ImportError, TypeError):
        # No pandas, or a cell that cannot be hashed (the native side names it and its row).
        cells = _cells(values)
        distinct = [v for v in cells if v is not None]
    else:
        distinct = [None if _is_missing(v) else v for v in uniques.tolist()]
        gone = [i for i, v in enumerate(distinct) if v is None]
        if gone:
            codes = np.where(np.isin(codes, gone), -1, codes)
        cells = (np.asarray(codes, dtype=np.int64), distinct)
    columns.append((name, cells))
    text = any(isinstance(v, str) for v in distinct)
    numbers = any(v is not None and not isinstance(v, str) for v in distinct)
    if text and numbers:
        categorical.append(name)


def _pandas_columns(X: Any, names: Sequence[str]) -> Tuple[Columns, List[str]]:
    import pandas as pd

    columns: Columns = []
    categorical: List[str] = []
    for name, (_, series) in zip(names, X.items()):
        dtype = series.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            _text_column(name, series.astype(object).to_numpy(), columns, categorical)
            if name not in categorical:
                categorical.append(name)
        elif pd.api.types.is_complex_dtype(dtype):
            raise ValueError(f"Complex data not supported: column {name!r} holds complex numbers")
        elif pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
            columns.append((name, _days(series)))
        elif pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
            columns.append((name, series.to_numpy(dtype=np.float64, na_value=np.nan)))
        else:
            _text_column(name, series.to_numpy(dtype=object), columns, categorical)
    return columns, categorical


def _days(series: Any) -> np.ndarray:
    """Dates as days since 1970-01-01 (durations as days), NaT as NaN: numbers a network can use."""
    import pandas as pd

    if pd.api.types.is_timedelta64_dtype(series.dtype):
        return (series / pd.Timedelta(days=1)).to_numpy(dtype=np.float64, na_value=np.nan)
    if getattr(series.dt, "tz", None) is not None:
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    return ((series - pd.Timestamp(0)) / pd.Timedelta(days=1)).to_numpy(dtype=np.float64, na_value=np.nan)


def _polars_columns(X: Any) -> Tuple[Columns, List[str], List[str]]:
    """A polars DataFrame read column by column (no pyarrow needed)."""
    import polars as pl

    columns: Columns = []
    categorical: List[str] = []
    for series in X.get_columns():
        name, dtype = str(series.name), series.dtype
        if dtype.is_numeric() or dtype == pl.Boolean:
            columns.append((name, series.cast(pl.Float64).fill_null(float("nan")).to_numpy()))
        elif dtype.is_temporal() and dtype != pl.Time:
            days = series.dt.total_seconds() if dtype == pl.Duration else series.dt.epoch("s")
            columns.append((name, (days.cast(pl.Float64) / 86400.0).fill_null(float("nan")).to_numpy()))
        else:
            if dtype in (pl.Categorical, pl.Enum) or isinstance(dtype, (pl.Categorical, pl.Enum)):
                categorical.append(name)
            columns.append((name, series.to_list()))
    return columns, [str(c) for c in X.columns], categorical


def _arrow_columns(X: Any) -> Tuple[Columns, List[str], List[str]]:
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:
        raise ImportError(f"reading a {type(X).__name__} (an Arrow table) needs pyarrow: pip install pyarrow") from None

    table = pa.table(X)
    columns: Columns = []
    categorical: List[str] = []
    for name, column in zip(table.column_names, table.columns):
        kind = column.type
        if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
            numbers = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
            columns.append((str(name), np.asarray(numbers, dtype=np.float64)))
        elif pa.types.is_dictionary(kind):
            columns.append((str(name), column.to_pylist()))
            categorical.append(str(name))
        elif pa.types.is_timestamp(kind) or pa.types.is_date(kind) or pa.types.is_duration(kind):
            unit = pa.duration("s") if pa.types.is_duration(kind) else pa.timestamp("s")
            seconds = pc.cast(pc.cast(column, unit), pa.int64()).to_numpy(zero_copy_only=False)
            columns.append((str(name), np.asarray(seconds, dtype=np.float64) / 86400.0))
        elif pa.types.is_temporal(kind):
            raise TypeError(f"column {name!r} holds times of day ({kind}); convert them to numbers or leave it out")
        else:
            columns.append((str(name), column.to_pylist()))
    return columns, [str(n) for n in table.column_names], categorical


def columns_of(X: Any) -> Tuple[Columns, List[str], List[str]]:
    """``X`` as the native module's columns.

    Returns the columns, their names (a DataFrame's or an Arrow table's own, else ``x0``,
    ``x1``, …) and the columns whose type says they are categories (pandas ``category``, Arrow
    dictionaries).
    """
    if _is_pandas(X):
        if X.ndim != 2:
            raise ValueError("Expected 2D array, got a pandas Series instead; pass a DataFrame (X.to_frame())")
        if X.shape[0] == 0:
            raise ValueError(f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is required.")
        names = [str(c) for c in X.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"the DataFrame's column names are not unique: {names}")
        columns, categorical = _pandas_columns(X, names)
        return columns, names, categorical
    if type(X).__module__.startswith("polars") and hasattr(X, "get_columns"):
        return _polars_columns(X)
    if _has_arrow(X):
        return _arrow_columns(X)
    if type(X).__module__.startswith("scipy.sparse"):
        # A one-hot encoder's output, say: the network reads dense rows.
        X = X.toarray()
    array = check_array(X, dtype=None, ensure_all_finite="allow-nan", ensure_2d=True, ensure_min_samples=1)
    names = positional_names(array.shape[1])
    if array.dtype in (np.float64, np.float32):
        # Each column a view of the array: the native side reads it in place.
        columns = [(name, array[:, j]) for j, name in enumerate(names)]
    elif array.dtype.kind in "biu":
        columns = [(name, array[:, j].astype(np.float64)) for j, name in enumerate(names)]
    else:
        columns, categorical = [], []
        for j, name in enumerate(names):
            _text_column(name, array[:, j], columns, categorical)
        return columns, names, categorical
    return columns, names, []
