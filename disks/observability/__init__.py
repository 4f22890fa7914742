"""Operations: the logging context, metrics, readiness and the worker's heartbeat."""
