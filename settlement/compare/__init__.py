"""`settlement compare-modes`: batch vs asynchronous consumption, measured side by side.

`harness` runs the same traffic through each mode (its own queue, staging database and
poller); `result` is what it writes to compare.json and what the report reads back from it.
"""
