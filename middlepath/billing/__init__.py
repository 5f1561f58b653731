"""Billing: for now only the coverage a patient's care is billed to.

Benefits verification happens at intake (intake.BenefitsVerification); admission carries the
verified plan over here as a Coverage, where claims, authorizations and statements will
find it.
"""
