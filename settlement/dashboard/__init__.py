"""The live view of the pipeline (`settlement dashboard`, `settlement demo --live`): a small
web page showing, while it runs, the queue, the gateway's consumers and batches, staged,
rejected and duplicate messages per second, latency batch vs async, and the end of day's
steps, then the report's link. It reads the database and the queues and never writes.
"""
