"""The Excel functions and ribbon macros. Installed as ``xlsales.udfs`` so that ``xlsales excel-setup``
finds the two modules after a plain ``pip install``; Excel imports them as ``xlsales_udfs`` and
``xlsales_macros`` from this folder (the ``PYTHONPATH`` of the xlwings.conf sheet)."""
