"""Privacy: the tamper-evident audit trail (and, later, consents and disclosures).

Every app calls in here; this app imports no other app of ours.
"""
