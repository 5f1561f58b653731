"""Middlepath: software that runs an addiction-treatment intensive outpatient program."""
