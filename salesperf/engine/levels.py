"""The name of the top of every roll-up, shared by every stage (rep -> team... -> company).

Its own module, below :mod:`salesperf.engine.metrics` and :mod:`salesperf.engine.aggregate`,
so that both can name it without importing each other.
"""

COMPANY = "company"
