"""Reading the user's input files (CSV, XLSX, Parquet) into checked, typed frames."""
