"""Files the data protection pages write: the audit trail as CSV, the subject access bundle."""
