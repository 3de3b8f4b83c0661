"""Verdicts on what a scan found (DESIGN.md, "Verdicts"): cards draws each server's blast
radius from the models and the findings (the scan pipeline's judge step asks for them);
scoring grades findings, for the reports and the batch."""
