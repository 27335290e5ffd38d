"""Identity and place: who, which host and where an event is about."""

from correlator.identity.view import IdentityView, NullIdentity

__all__ = ["IdentityView", "NullIdentity"]
