"""The active-learning simulation: config and runner, detector adapters, image sets, report."""
