"""10 000 calls of =SPLIT_TARGET(total, weights, 1) on 50 weights, made the way Excel makes them.

Excel (through xlwings, ``ndim=2``) hands the function a column as a list of one-cell rows of floats,
blanks as None. This times our side of the call: converters + the API + shaping the result. It
leaves out xlwings' COM marshalling, which no Python code of ours can change. Prints µs per call
(best and median of 100 batches: the best batch is the least disturbed by other processes).

    .venv/bin/python bench/bench_udfs.py [--calls N]
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import statistics
import time
from pathlib import Path

import xlsales
from xlsales.excel.converters import oriented, scalar, vector

UDFS = Path(__file__).resolve().parents[1] / "udfs" / "xlsales_udfs.py"


def load_udfs():
    spec = importlib.util.spec_from_file_location("xlsales_udfs", UDFS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def per_call(function, args, calls: int, batches: int = 100) -> tuple[float, float]:
    """(best, median) µs per call over ``batches`` batches making ``calls`` calls in all.

    On a shared machine the best batch is the figure that other processes disturb least.
    """
    size = max(1, calls // batches)
    times = []
    for _ in range(batches):
        start = time.perf_counter()
        for _ in range(size):
            function(*args)
        times.append((time.perf_counter() - start) / size * 1e6)
    return min(times), statistics.median(times)


def converters_only(total, weights, round_to):
    """What the wrapper adds around the API call."""
    values, orientation = vector(weights, "weights")
    scalar(total, "total"), scalar(round_to, "round_to")
    return oriented(values, orientation)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    calls = parser.parse_args().calls
    udfs = load_udfs()
    values = [float((i * 7) % 13 + 1) if i % 10 else None for i in range(50)]  # every 10th cell blank
    column = [[v] for v in values]
    row = [values]
    flat = [0.0 if v is None else v for v in values]
    cases = [
        ("SPLIT_TARGET(10000, column, 1)", udfs.SPLIT_TARGET, (10000.0, column, 1.0)),
        ("SPLIT_TARGET(10000, row, 1)", udfs.SPLIT_TARGET, (10000.0, row, 1.0)),
        ("SPLIT_TARGET(10000, column)", udfs.SPLIT_TARGET, (10000.0, column)),
        ("xlsales.split_target(10000, list, 1)  [API alone]", xlsales.split_target, (10000.0, flat, 1.0)),
        ("xlsales.split_target(10000, list)  [API alone]", xlsales.split_target, (10000.0, flat)),
        ("converters alone (column in, column out)", converters_only, (10000.0, column, 1.0)),
    ]
    print(f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{calls} calls each in 100 batches; µs per call: best batch / median batch")
    for label, function, args in cases:
        best, median = per_call(function, args, calls)
        print(f"{best:7.1f} / {median:7.1f}  {label}")


if __name__ == "__main__":
    main()
