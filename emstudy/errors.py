"""Errors a user can fix, and the warning classes of the statistics.

Every error message names the file, row, column or parameter at fault and what was expected, so the
command line can print it as one line and exit non-zero without a traceback.

Warnings come in categories so that a caller filters by class, never by message text::

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        fit = cfa(data, model=...)

All of them derive from :class:`EmstudyWarning` (itself a :class:`UserWarning`, so existing
``UserWarning`` filters keep working).
"""

from __future__ import annotations

__all__ = [
    "EmstudyError",
    "SurveyFileError",
    "EmstudyWarning",
    "ConvergenceWarning",
    "HeywoodWarning",
    "MissingDataWarning",
    "SampleSizeWarning",
    "ModelWarning",
    "DataWarning",
    "FigureLayoutWarning",
]


class EmstudyError(Exception):
    """An error the user can fix: the message names the file, row, column or parameter and what was expected."""


class SurveyFileError(EmstudyError, ValueError):
    """A survey file that cannot be read or does not follow the expected format."""


class EmstudyWarning(UserWarning):
    """Base class of every warning emstudy issues."""


class ConvergenceWarning(EmstudyWarning):
    """An iterative estimate (factoring, rotation, optimisation) stopped before its convergence criterion."""


class HeywoodWarning(EmstudyWarning):
    """An improper solution: a communality of one or more, or a negative variance estimate."""


class MissingDataWarning(EmstudyWarning):
    """Rows or cells with missing values were left out of a computation (listwise or pairwise)."""


class SampleSizeWarning(EmstudyWarning):
    """Fewer observations than a method needs to be trusted (for example N below the free parameters)."""


class ModelWarning(EmstudyWarning):
    """A model-level problem that does not stop the fit: a non-positive-definite matrix, a dropped
    collinear term, a boundary estimate, a fit that reached its limits."""


class DataWarning(EmstudyWarning):
    """The data are usable but odd: a negatively keyed item, a smoothed correlation matrix, empty cells."""


class FigureLayoutWarning(EmstudyWarning):
    """A figure's text overlaps other text or runs past the canvas (labels collide or are cut off)."""
