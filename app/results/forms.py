"""Forms of the results pages: counting the votes (officials)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField
from wtforms.validators import DataRequired

from app.core.forms import choices
from app.results.rules import offered_rules, rule_label


class RunForm(FlaskForm):
    rule = SelectField(_l("Counting rule"), validators=[DataRequired(message=_l("Please choose a counting rule."))],
                       description=_l("Only a count made with the rule announced for this budget can be published; "
                                      "other rules can be tried to compare."))
    submit = SubmitField(_l("Count the votes"))

    def __init__(self, kind, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rule.choices = choices((name, rule_label(name)) for name in offered_rules(kind))
