"""Review memos: monthly and quarterly reviews, 1:1 coaching memos, commission statements (docs/memos.md).

``write_memos`` writes every memo of a review cycle; the modules below build, render and write them.
"""


def write_memos(*args, **kwargs):
    """See ``xlsales.memos.suite.write_memos``."""
    from xlsales.memos.suite import write_memos as write

    return write(*args, **kwargs)
