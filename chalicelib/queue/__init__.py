"""The jobs queue: large runs split into chunks that each fit one Lambda invocation (fanout), the
registry of what works each kind of chunk (chunks.TASKS) and the time budget a run works against
(budget). An effect like the store: use cases and jobs send work through it; it reaches the workers
only through the registry, so nothing here imports a layer above."""
