"""Data protection: the audit viewer, subject access, rectification, erasure and retention.

The data protection officer's work (DESIGN.md, "Who may see what"). It sits
above the apps whose records it exports and erases, and below the project
shell; nothing else imports it.
"""
