"""Review memos: monthly and quarterly reviews, 1:1 coaching memos, commission statements (docs/memos.md).

``write_memos`` writes every memo of a review cycle; the modules below build, render and write them.
"""


def write_memos(*args, **kwargs):
    """See ``xlsales.memos.suite.write_memos``."""
    from xlsales.memos.suite import write_memos as write

    return write(*args, **kwargs)


def write_memos_from_workbook(path, out_dir, **options):
    """See ``xlsales.memos.from_workbook.write_memos_from_workbook`` (the ribbon's WRITE_MEMOS)."""
    from xlsales.memos.from_workbook import write_memos_from_workbook as write

    return write(path, out_dir, **options)
