"""Exceptions raised by skdomain."""

__all__ = ["DivergedError"]


class DivergedError(FloatingPointError):
    """Training produced a non-finite loss; the message names the term that diverged.

    Examples
    --------
    >>> try:
    ...     raise DivergedError("mmd_loss became nan at epoch 3")
    ... except FloatingPointError as error:
    ...     print(error)
    mmd_loss became nan at epoch 3
    """
