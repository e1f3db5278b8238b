"""The accounts area: organisation units, staff accounts and roles, signing in, the
audit log (docs/roles.md)."""
