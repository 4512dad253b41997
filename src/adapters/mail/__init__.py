"""Mail through Django's email framework (EMAIL_* settings: SMTP, or the console)."""
