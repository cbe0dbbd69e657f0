"""What every family shares: the telemetry state and scopes, the span hooks and wrappers, patching
class families, metrics instruments, pricing, run health, content, semconv names, settings."""
