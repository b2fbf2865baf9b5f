"""Reads for data protection, scoped to the DPO or coordinator who asks; one module per topic."""
