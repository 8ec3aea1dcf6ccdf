"""The pure core of cardsettle: money, validation, matching, fraud rules, FX, netting, ledger.

Nothing here imports SQLAlchemy, boto3, moto or APScheduler, and nothing reads the clock:
the business date and "now" arrive as arguments. A guard test enforces it.
"""
