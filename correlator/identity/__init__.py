"""Identity and place: who, which host and where an event is about."""

from correlator.identity.bindings import BindingLimits
from correlator.identity.directory import Directory
from correlator.identity.loader import load_directory
from correlator.identity.resolver import DirectoryWatcher, Identity, IdentityStats
from correlator.identity.view import IdentityView, NullIdentity

__all__ = [
    "BindingLimits",
    "Directory",
    "DirectoryWatcher",
    "Identity",
    "IdentityStats",
    "IdentityView",
    "NullIdentity",
    "load_directory",
]
