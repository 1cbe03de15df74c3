"""backprop: neural networks trained by backpropagation, with the chain rule in plain view.

For a table: :class:`Classifier` and :class:`Regressor`, scikit-learn estimators that train
what ``backprop train`` trains (DataFrames with text categories and missing cells welcome).
For the lecture: :func:`explain`, :func:`chain`, :func:`check` and :func:`lecture`, whose
reports print as text and draw themselves in a notebook.

>>> import backprop
>>> report = backprop.explain()                 # the lecture's 2-2-2 network, one step
>>> round(report.to_dict()["steps"][0]["loss"], 9)
0.298371109
"""

from ._estimators import Classifier, Regressor
from ._reports import Report, chain, check, explain, lecture

__all__ = ["Classifier", "Regressor", "Report", "chain", "check", "explain", "lecture"]
__version__ = "0.1.0"
