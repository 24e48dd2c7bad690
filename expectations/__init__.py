"""Quality gates: Great Expectations suites run before anything leaves the engine."""
