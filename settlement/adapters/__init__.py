"""Thin adapters around the pure core: database tables and repositories, SQS, S3, rate sources."""
