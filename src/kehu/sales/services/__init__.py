"""Writes on leads and opportunities; the form, the API and the public web-to-lead page all
call these. ``leads`` holds capture, status and conversion; ``opportunities`` the pipeline."""
