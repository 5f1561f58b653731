"""Staff users, roles, sign-in, lock-out, automatic log-off and API tokens."""
