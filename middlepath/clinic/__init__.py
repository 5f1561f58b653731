"""Clinic set-up: locations, rooms, programs, tracks, phases, group types, curriculum."""
