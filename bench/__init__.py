"""The benchmark harness (`make bench`): a data generator and timed measurements.

Run on PostgreSQL (DATABASE_URL). The data goes into its own database, named
after the one in DATABASE_URL with `_bench` added, which is kept between runs
so the data is generated once.
"""
