"""Files the parsers package carries: the official blank report templates."""
