"""The one error type users see."""


class InputError(ValueError):
    """Invalid input. The message names the argument or the file, row and column."""


class InputFileError(InputError):
    """One or more problems in user files; ``problems`` holds each as a line."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
