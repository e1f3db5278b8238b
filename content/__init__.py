"""The demo corpus (a package only so that it installs inside kmrepo)."""
