"""Why each project was funded or not, in plain translated sentences built from the tally's numbers.

``TallyProject.details`` holds what ``app.tally`` said about the project (its ``kind`` and numbers; money in cents,
exact fractions as "p/q" strings). Each kind has its own whole sentences (never glued from pieces), so that every
language can word them naturally.
"""

from fractions import Fraction

from flask_babel import gettext, ngettext

from app.core.i18n import euros, number


def _cents(value) -> int:
    """An exact amount of cents ("p/q", int or None) rounded to the nearest cent for reading."""
    if value is None:
        return 0
    return round(Fraction(value))


def money(value) -> str:
    return euros(_cents(value))


def votes_text(count: int, ballot_kind: str) -> str:
    if ballot_kind == "cumulative":
        return ngettext("%(count)s point", "%(count)s points", count, count=number(count))
    return ngettext("%(count)s vote", "%(count)s votes", count, count=number(count))



def grade_label(grade: int) -> str:
    """The grade as the ballot names it (one scale for the ballot, the receipt and the results)."""
    from app.voting.services import grade_label as ballot_grade_label

    try:
        return ballot_grade_label(grade)
    except ValueError:
        return str(grade)


def _greedy(details: dict, votes: str, completion: bool = False) -> list[str]:
    kind = details["kind"]
    values = {"rank": details.get("rank", 0), "votes": votes, "cost": money(details.get("cost")),
              "left": money(details.get("money_left"))}
    if kind == "greedy-funded" and completion:
        return [gettext("Funded with the money left after the equal shares: it was number %(rank)s among the "
                        "projects not yet funded, with %(votes)s; it costs %(cost)s and %(left)s were still "
                        "available.", **values)]
    if kind == "greedy-funded":
        return [gettext("It was number %(rank)s in the order of the count, with %(votes)s. It costs %(cost)s and "
                        "%(left)s were still available when its turn came: it was funded.", **values)]
    if kind == "greedy-skipped":
        return [gettext("It was number %(rank)s in the order of the count, with %(votes)s. It costs %(cost)s, but "
                        "only %(left)s were left when its turn came: it did not fit.", **values)]
    if kind == "greedy-stopped":
        return [gettext("It was number %(rank)s in the order of the count, with %(votes)s, after the first "
                        "project that did not fit: under this rule the count stops there.", **values)]
    if kind == "greedy-below-threshold":
        return [gettext("It received %(votes)s, fewer than the %(threshold)s required to be funded.",
                        votes=votes, threshold=number(details.get("threshold", 0)))]
    return []


def _payments(details: dict) -> str:
    parts = [ngettext("%(count)s supporter paid %(amount)s", "%(count)s supporters paid %(amount)s each", count,
                      count=number(count), amount=money(amount))
             for amount, count in details.get("payments") or []]
    return "; ".join(parts)


def sentences(details: dict, votes: int, ballot_kind: str) -> list[str]:
    """The explanation of one project, as a list of sentences."""
    if not details:
        return []
    kind = details.get("kind", "")
    votes_str = votes_text(votes, ballot_kind)
    result = []
    if "majority_grade" in details:
        result.append(gettext("Its majority grade is “%(grade)s”: at least half of the voters gave it this grade "
                              "or better.", grade=grade_label(details["majority_grade"])))
    if kind == "over-budget":
        return result + [gettext("It costs %(cost)s, more than the whole envelope of %(budget)s: it could not be "
                                 "funded, whatever the votes.", cost=money(details.get("cost")),
                                 budget=money(details.get("budget")))]
    if kind.startswith("greedy"):
        return result + _greedy(details, votes_str, completion=details.get("stage") == "completion")
    if kind == "mes-funded":
        result.append(gettext("Funded in round %(round)s of the equal shares: its %(supporters)s supporters shared "
                              "its cost of %(cost)s.", round=details.get("round"),
                              supporters=number(details.get("supporters", 0)), cost=money(details.get("cost"))))
        paid = _payments(details)
        if paid:
            result.append(gettext("What they paid: %(payments)s.", payments=paid))
        return result
    if kind == "mes-not-funded":
        result.append(gettext("Not funded: at the end of the equal shares its %(supporters)s supporters had "
                              "%(money)s left between them, and it needed %(needed)s.",
                              supporters=number(details.get("supporters", 0)),
                              money=money(details.get("supporters_money")), needed=money(details.get("needed"))))
        max_cost = details.get("max_cost")
        if max_cost is not None and _cents(max_cost) > 0:
            result.append(gettext("All else unchanged, it would have been funded had it cost at most %(amount)s.",
                                  amount=money(max_cost)))
        elif max_cost is not None:
            result.append(gettext("All else unchanged, it would not have been funded even at a very low cost."))
        elif details.get("max_cost_pending"):
            result.append(gettext("The largest cost at which it would have been funded is not computed yet."))
        completion = details.get("completion")
        if completion:
            result += _greedy({"kind": completion.get("kind", "greedy-skipped"), **completion}, votes_str)
        return result
    return result
