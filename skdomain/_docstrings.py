"""Numpydoc fragments shared by the estimators' methods; standard library only.

The inference methods of every estimator (``transform``, ``predict``,
``predict_proba``, ...) take the same one argument, so their Parameters and
Returns sections are written here once and appended to each method's own
summary by :func:`array_method_doc`.
"""

from __future__ import annotations

import inspect
import textwrap

__all__ = ["X_PARAMETER", "X_TARGET_PARAMETER", "array_method_doc"]

#: The numpydoc entry of the samples argument of an inference method.
X_PARAMETER = "X : array-like of shape (n_samples, ...)"
#: The same for target-domain rows.
X_TARGET_PARAMETER = "X_target : array-like of shape (n_target, ...)"


def array_method_doc(returns: str, returns_doc: str = "", *, parameter: str = X_PARAMETER):
    """Decorator appending the Parameters and Returns sections of a method of one array.

    The method's own docstring keeps its summary (and any extended
    description); the sections follow it.

    Parameters
    ----------
    returns : str
        The numpydoc type of what the method returns.
    returns_doc : str, default=""
        Its description (may span lines).
    parameter : str, default=X_PARAMETER
        The numpydoc entry of the argument.

    Returns
    -------
    callable
        The decorator; it returns the method itself.

    Examples
    --------
    >>> @array_method_doc("ndarray of shape (n_samples,)", "One label per sample.")
    ... def predict(self, X):
    ...     '''Most probable class of each sample.'''
    >>> print(predict.__doc__, end="")
    Most probable class of each sample.
    <BLANKLINE>
    Parameters
    ----------
    X : array-like of shape (n_samples, ...)
    <BLANKLINE>
    Returns
    -------
    ndarray of shape (n_samples,)
        One label per sample.
    """
    description = textwrap.indent(inspect.cleandoc(returns_doc), " " * 4)
    sections = (
        f"Parameters\n----------\n{parameter}\n\n"
        f"Returns\n-------\n{returns}" + (f"\n{description}" if description else "")
    )

    def decorate(method):
        method.__doc__ = f"{inspect.cleandoc(method.__doc__ or '')}\n\n{sections}\n"
        return method

    return decorate
