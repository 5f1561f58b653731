"""Patients and their episodes of care, from admission to discharge."""
