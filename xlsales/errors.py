"""The error types users see, and the exit codes of the command line.

Exit codes (documented in the README):

- 0  everything was written
- 1  ``xlsales build`` only: some outputs failed (each is listed); nothing was moved into place
- 2  bad input: a file, row and column, a setting or an Excel argument is wrong; nothing was written
- 3  the environment failed: disk full, no permission, a read-only folder, LibreOffice missing;
     nothing was written (any earlier good file is left as it was)
- 4  an internal error in xlsales (a bug): a one-line message, no traceback (set XLSALES_DEBUG=1 for it)
"""

import errno

EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_INPUT = 2
EXIT_ENVIRONMENT = 3
EXIT_INTERNAL = 4


class InputError(ValueError):
    """Invalid input. The message names the argument or the file, row and column."""


class InputFileError(InputError):
    """One or more problems in user files; ``problems`` holds each as a line."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class EnvironmentFailure(RuntimeError):
    """The machine, not the input, stopped the work: disk full, permission denied, a tool missing."""


_OS_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the folder is read-only",
    errno.ENOTDIR: "part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder, not a file",
    errno.ENAMETOOLONG: "the file name is too long",
    errno.EMFILE: "too many open files",
    errno.EIO: "an input/output error",
}


def os_problem(error: OSError) -> str:
    """An OSError in the user's terms: what path, and why (disk full, permission denied, ...)."""
    from xlsales.staging import shown
    reason = _OS_REASONS.get(error.errno) or error.strerror or str(error)
    path = error.filename
    return f"cannot write or read {shown(path)}: {reason}" if path else f"{reason}"
