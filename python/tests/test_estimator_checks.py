"""scikit-learn's own estimator checks, for both estimators."""

from sklearn.utils.estimator_checks import parametrize_with_checks

import backprop


@parametrize_with_checks([backprop.Classifier(), backprop.Regressor()])
def test_sklearn_compatible(estimator, check):
    check(estimator)
