"""Fixity audits (TT05 ch. V): plan what is due, re-verify every copy, repair from a good one, report."""
