"""The pure correlation core: rules, engine and offline replay.

Nothing in here imports Kafka, Faust, asyncio or metrics: the same code runs in replay, rule
tests, benchmarks and the streaming worker.
"""
