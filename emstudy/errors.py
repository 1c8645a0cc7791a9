"""Errors a user can fix.

Every message names the file, row, column or parameter at fault and what was expected, so the command
line can print it as one line and exit non-zero without a traceback.
"""


class EmstudyError(Exception):
    """An error the user can fix: the message names the file, row, column or parameter and what was expected."""


class SurveyFileError(EmstudyError, ValueError):
    """A survey file that cannot be read or does not follow the expected format."""
