"""The one place where skdomain imports private scikit-learn (or skorch) names.

Every private name the package needs is imported here, and only here, each with
why it is needed and which public alternative was considered; everything else
imports it from ``skdomain._compat`` (``tests/test_layering.py`` fails on a
private ``sklearn``/``skorch`` import anywhere else). When scikit-learn moves or
renames one of them, this module is the only one to change. skorch private
names: none are used.

Private names given up for public ones (do not bring them back):

- ``sklearn.utils.metadata_routing._routing_enabled``: replaced by the public
  ``sklearn.get_config()["enable_metadata_routing"]``.
- ``sklearn.pipeline._name_estimators``: ``sklearn.pipeline.make_pipeline(*steps).steps``
  names the steps the same way.
- ``Pipeline._check_method_params``, ``_validate_steps``, ``_iter``: ``DAPipeline``
  no longer subclasses ``Pipeline`` (see :mod:`skdomain.pipeline`).

The bases call ``self._validate_params()`` (a private method of
``BaseEstimator``) where ``_fit_context`` cannot wrap ``fit``; it checks the same
``_parameter_constraints``, so it goes with :data:`Interval` and :data:`StrOptions`.
"""

# _fit_context: the decorator scikit-learn puts on ``fit``: it validates the
# parameters against ``_parameter_constraints`` once and, with
# ``prefer_skip_nested_validation``, skips re-validating inner estimators'
# parameters (``global_skip_validation``). Considered: calling
# ``self._validate_params()`` at the top of ``fit`` (also private) and
# ``sklearn.config_context(skip_parameter_validation=True)`` around inner
# fits (public, but loses the per-estimator "nested" preference and must be
# repeated in every fit).
from sklearn.base import _fit_context

# Interval, StrOptions: the constraint objects of ``_parameter_constraints``,
# the declarative parameter validation scikit-learn's own estimators use and
# ``check_estimator``'s ``check_param_validation`` exercises (it builds
# invalid values from these constraints). Considered: hand-written checks in
# every ``fit`` (many lines per estimator, messages that differ from
# scikit-learn's, and no longer covered by ``check_param_validation``). There
# is no public module for them (scikit-learn 1.6 to 1.9).
from sklearn.utils._param_validation import Interval, StrOptions

__all__ = ["Interval", "StrOptions", "_fit_context"]
