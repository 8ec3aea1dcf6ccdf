"""The end-of-day run: load a business date, call the pure core, persist, report."""
