"""The gateway: SQS records in, staged transactions (or specific rejects) out."""
