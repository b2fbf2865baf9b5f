"""Pages of the data protection officer's work, one module per topic."""
