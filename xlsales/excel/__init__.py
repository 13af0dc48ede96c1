"""Excel integration: value converters for the UDFs, the macros' refresh adapter and ``excel-setup``.

Nothing here may import subprocess, multiprocessing or socket at import time: the UDF module runs in
xlwings Lite (Pyodide), where processes and sockets do not exist.
"""
