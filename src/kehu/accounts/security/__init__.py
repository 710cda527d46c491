"""Sign-in security (spec §10, issue 6 item 7): lockout after repeated failures, the access
log of sign-ins, and TOTP two-factor authentication (required for administrators)."""
