"""The Excel functions and ribbon macros, installed as ``xlsales.udfs``: Excel imports them as
``xlsales.udfs.xlsales_udfs`` and ``xlsales.udfs.xlsales_macros`` (the ``UDF Modules`` that
``xlsales excel-setup`` writes), and excel-setup reads them to write their VBA wrappers and the
xlwings Lite bundle."""
