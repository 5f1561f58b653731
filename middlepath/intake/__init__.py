"""Intake: the public consultation form, the inquiry queue, screening with a level-of-care
suggestion, benefits verification, and admission.

models.py holds the inquiry pipeline (its transitions are declared once, on Inquiry);
services.py every change to it; access.py who sees which inquiry; recommend.py and
estimate.py the pure rules for the level of care and the cost estimate.
"""
