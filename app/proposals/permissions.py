"""Who may do what with proposals. Phase rules are checked by the services (app.cycles.phases)."""

from app.accounts.models import Role
from app.proposals.models import ProposalStatus

STAFF = {Role.OFFICIAL, Role.MODERATOR}


def can(user, action: str, proposal=None) -> bool:
    signed_in = user is not None and user.is_authenticated
    if action == "view":
        if proposal.cycle.school_id is not None:  # a school's ideas are seen in the school's pages only
            return False
        if proposal.status != ProposalStatus.DRAFT:
            return True
        return signed_in and (proposal.author_id == user.id or user.role in STAFF)
    if not signed_in:
        return False
    if action in ("create", "support"):
        return user.email_confirmed
    if action in ("edit", "withdraw"):
        from app.proposals.services import can_edit

        return can_edit(user, proposal)
    if action in ("follow", "list_mine"):
        return True
    if action == "see_staff":
        return user.role in STAFF
    raise KeyError(action)
