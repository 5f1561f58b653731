"""Read-only reports over everything: the audit report now; compliance, census, outcomes later.

Reports own no rules: each asks the app that owns the data.
"""
