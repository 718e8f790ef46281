"""Load benchmark: the Procfile's server on real Redis, driven by simulated Telegram and SMS chats.

Run `python -m benchmarks.run --help`. Not part of the test suite: only the pure figures in
`benchmarks.stats` have unit tests.
"""
