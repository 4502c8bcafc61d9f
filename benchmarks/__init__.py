"""semphony benchmarks: `python -m benchmarks [--quick] [NAME ...]`.

Prints a table per benchmark and writes benchmarks/results/NAME.json (see __main__).
"""
