"""Writing many ballots at once, for the demo city and for elections imported from pabulib files.

The web, phone and paper channels cast one ballot at a time through ``app.voting.services.cast``; these helpers
write the same rows (a participation per voter, an anonymous ballot per envelope) in a few bulk statements. They
never check the rules: the callers bring ballots that already follow them.
"""

import secrets
from datetime import date

from sqlalchemy import insert

from app.extensions import db
from app.voting.models import Ballot, BallotChoice, Participation, VoteChannel

BATCH = 5000


def insert_ballots(cycle_id: int, voters, day: date, key_prefix: str) -> int:
    """``voters``: (channel, {envelope key: [(ballot item id, value), ...]}) pairs, one per voter. Returns how many
    voters were written. Voter keys are ``<key_prefix>:<random>``: no account or census entry stands behind them."""
    participations, ballots, choices = [], [], []
    count = 0
    for channel, envelopes in voters:
        count += 1
        participations.append({"cycle_id": cycle_id, "voter_key": f"{key_prefix}:{secrets.token_hex(10)}",
                               "channel": VoteChannel(channel), "day": day})
        for key, chosen in envelopes.items():
            ballot_id = secrets.token_hex(16)
            ballots.append({"id": ballot_id, "cycle_id": cycle_id, "district_id": key,
                            "receipt_hash": secrets.token_hex(32), "day": day})
            choices.extend({"ballot_id": ballot_id, "ballot_item_id": item_id, "value": value}
                           for item_id, value in chosen)
    for model, rows in ((Participation, participations), (Ballot, ballots), (BallotChoice, choices)):
        for start in range(0, len(rows), BATCH):
            db.session.execute(insert(model), rows[start:start + BATCH])
    return count
