"""POS simulator: seeded card traffic for one business day, as terminals would send it.

`pos-sim generate` writes merchants.csv, messages.jsonl (the SQS bodies, contract
`cardsettle.pos.v1`), journal.csv (the terminals' own record), and the ground truth that only
scoring reads: labels.csv (fraud scenario or legit) and faults.csv (delivery faults).
`pos-sim send` / `pos-sim run` put the messages on the configured SQS queue.
"""
