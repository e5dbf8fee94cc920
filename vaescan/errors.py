"""Exception types: every error a user can cause is a :class:`VaescanError`.

The CLI turns these into a one-line message and exit code 2 (no traceback);
batch commands log them per record and carry on.
"""

from __future__ import annotations

from os import PathLike


class VaescanError(Exception):
    """Base class for errors vaescan reports to the user without a traceback."""


class VaescanInputError(VaescanError):
    """An input file or value is unusable; the message names the file and the problem.

    Example
    -------
    >>> err = VaescanInputError("records/00001", "lead V3 is flat")
    >>> str(err)
    'records/00001: lead V3 is flat'
    """

    def __init__(self, path: str | PathLike[str] | None, problem: str):
        self.path = None if path is None else str(path)
        self.problem = problem
        super().__init__(problem if path is None else f"{self.path}: {problem}")
