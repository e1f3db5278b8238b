"""kmrepo's Jinja templates (a package only so that they install inside kmrepo)."""
