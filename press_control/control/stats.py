"""Small statistics shared by diagnostics, run records and benchmarks."""


def percentile(sorted_values, fraction: float) -> float:
    """Nearest-rank percentile of an already sorted, non-empty sequence."""
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]
