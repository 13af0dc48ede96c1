"""Pure business rules on numbers and pandas frames: no files, no Excel, no printing."""
