"""One router per feature, each built fresh by a factory (a router joins one dispatcher)."""
