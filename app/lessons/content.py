"""The lessons: their titles, teacher's guide facts and quizzes, as data.

The lesson text itself lives in one template per lesson (``templates/lessons/body/<slug>.html``) and the steps of
its teacher's guide in ``templates/lessons/guide/<slug>.html``; what the code needs (order, quiz, right answers)
is here. Every string is translated (``_l``): the English text is the message id, French is the default language.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Choice:
    key: str
    text: object  # a lazy translated string


@dataclass(frozen=True)
class Question:
    key: str
    text: object
    choices: tuple[Choice, ...]
    answer: str  # the key of the right choice
    why: object  # shown after answering, right or wrong

    def choice(self, key: str) -> Choice | None:
        return next((c for c in self.choices if c.key == key), None)


@dataclass(frozen=True)
class Lesson:
    slug: str
    icon: str  # an emoji, decorative (hidden from screen readers)
    title: object
    summary: object
    minutes: int  # length of the class session the guide plans
    objectives: tuple[object, ...]
    questions: tuple[Question, ...]
    optional: bool = False

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)


def _q(key, text, choices, answer, why) -> Question:
    return Question(key, text, tuple(Choice(k, t) for k, t in choices), answer, why)


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        slug="public-budget",
        icon="🏛️",
        title=_l("What is a public budget?"),
        summary=_l("Where the city's money comes from, and what it is spent on."),
        minutes=45,
        objectives=(
            _l("Know that the city's money comes mostly from taxes paid by residents and businesses, and from the "
               "State."),
            _l("Tell the money spent every day (running costs) from the money spent to build things that last "
               "(investment)."),
            _l("Understand that a budget means choosing, because the money is limited."),
        ),
        questions=(
            _q("source", _l("Where does most of the city's money come from?"),
               (("taxes", _l("From the taxes paid by residents and businesses, and from the State")),
                ("bank", _l("The city prints its own banknotes")),
                ("mayor", _l("From the mayor's own pocket"))),
               "taxes",
               _l("The city gets its money from local taxes and from the State. Everyone pays a little, so the "
                  "money belongs to everyone.")),
            _q("investment", _l("Which of these is an investment?"),
               (("salary", _l("Paying the school canteen cooks every month")),
                ("park", _l("Building a new playground that will last for years")),
                ("heating", _l("Paying for the heating of the town hall this winter"))),
               "park",
               _l("An investment builds something that lasts a long time. Salaries and heating come back every "
                  "year: they are running costs.")),
            _q("choose", _l("Why must the city choose between projects?"),
               (("limited", _l("Because the money is limited: it cannot pay for everything")),
                ("lazy", _l("Because the city does not like new projects")),
                ("random", _l("It does not choose: it picks by chance"))),
               "limited",
               _l("There is never enough money for every good idea. A budget is a list of choices.")),
        ),
    ),
    Lesson(
        slug="complaint-to-proposal",
        icon="💡",
        title=_l("From a complaint to a proposal"),
        summary=_l("How a problem we notice becomes a project for everyone."),
        minutes=50,
        objectives=(
            _l("Turn a complaint (“it's dirty”, “it's dangerous”) into a proposal that says what to do, where and "
               "for whom."),
            _l("Know the parts of a good proposal: the problem, the idea, the place, the cost."),
            _l("Know that the city's call center also listens to residents and passes their ideas on."),
        ),
        questions=(
            _q("better", _l("Which sentence is a proposal?"),
               (("complaint", _l("The crossing in front of the school is dangerous!")),
                ("proposal", _l("Paint a pedestrian crossing and add a sign in front of the school, so that "
                                "pupils cross safely")),
                ("angry", _l("Nobody ever does anything here"))),
               "proposal",
               _l("A proposal says what to do, where, and why it helps. A complaint only says what is wrong.")),
            _q("parts", _l("What does a good proposal need?"),
               (("all", _l("The problem, the idea, the place and an idea of the cost")),
                ("name", _l("Only the name of the person who had the idea")),
                ("long", _l("At least ten pages of text"))),
               "all",
               _l("A short text is enough when it explains the problem, the idea, the place and roughly what it "
                  "costs.")),
            _q("phone", _l("Your grandmother has no computer. Can she still give an idea?"),
               (("phone", _l("Yes: she can call the city's call center, which writes the idea down for her")),
                ("no", _l("No, only people with a computer can")),
                ("letter", _l("Only if she writes to the President"))),
               "phone",
               _l("The call center's agents take ideas by phone and enter them on the platform: everyone can "
                  "take part.")),
        ),
    ),
    Lesson(
        slug="arguing-kindly",
        icon="🤝",
        title=_l("Arguing kindly"),
        summary=_l("Saying what we think, for or against, and disagreeing with respect."),
        minutes=45,
        objectives=(
            _l("Give an argument for or against an idea, with a reason."),
            _l("Criticise an idea, never a person."),
            _l("Listen to the other side and say what is good in it."),
        ),
        questions=(
            _q("respect", _l("Which comment disagrees respectfully?"),
               (("kind", _l("I am against: the garden would take the place of the football pitch")),
                ("rude", _l("Your idea is stupid")),
                ("person", _l("Of course, it's Léo's idea, so it's bad"))),
               "kind",
               _l("We can be against an idea and say why, without mocking anyone.")),
            _q("reason", _l("What makes an argument strong?"),
               (("reason", _l("A reason or an example that others can check")),
                ("loud", _l("Saying it louder than the others")),
                ("repeat", _l("Saying it ten times"))),
               "reason",
               _l("A reason or a fact convinces. Shouting or repeating does not.")),
            _q("change", _l("Is it all right to change your mind after a discussion?"),
               (("yes", _l("Yes: it means you listened to good arguments")),
                ("no", _l("No, you must always keep your first idea")),
                ("shame", _l("Only if nobody sees it"))),
               "yes",
               _l("Changing your mind after hearing good reasons is a sign of a good debate.")),
        ),
    ),
    Lesson(
        slug="counting-votes",
        icon="🗳️",
        title=_l("How do we count votes?"),
        summary=_l("The same votes, two ways of counting: see who gets something."),
        minutes=55,
        objectives=(
            _l("See that the same votes can give different winners depending on the counting rule."),
            _l("Understand “most votes first”: the ideas with the most votes are paid for one after the other, "
               "while the money lasts."),
            _l("Understand “equal shares”: everyone gets the same share of the money and pays, with those who "
               "agree, for the ideas they chose."),
            _l("Notice who is represented: does a smaller group get something?"),
        ),
        questions=(
            _q("greedy", _l("With “most votes first”, which idea is paid for first?"),
               (("most", _l("The idea with the most votes, if there is enough money")),
                ("cheap", _l("The cheapest idea")),
                ("teacher", _l("The teacher's favourite idea"))),
               "most",
               _l("The ideas are taken in order of votes. An idea that costs too much for the money left is "
                  "skipped.")),
            _q("shares", _l("With equal shares, how much of the money does each voter get?"),
               (("same", _l("The same amount for everyone")),
                ("more", _l("More for those who vote first")),
                ("none", _l("Nothing: the money goes to the biggest group"))),
               "same",
               _l("The money is split into equal shares, one per voter. Each voter pays, with those who chose the "
                  "same idea, for the ideas they like.")),
            _q("minority", _l("A smaller group of the class always votes for other ideas. With which rule is it "
                              "more likely to get one of its ideas?"),
               (("mes", _l("With equal shares")),
                ("greedy", _l("With most votes first")),
                ("never", _l("With neither: a smaller group never gets anything"))),
               "mes",
               _l("With equal shares, the smaller group has its own shares of the money and can pay for an idea "
                  "it chose. With most votes first, the bigger group can take all the money.")),
        ),
    ),
    Lesson(
        slug="city-projects",
        icon="🏗️",
        title=_l("What happened to the city's projects?"),
        summary=_l("The projects residents chose: where are they now?"),
        minutes=40,
        objectives=(
            _l("Know that a project chosen by the vote is then built by the city, step by step."),
            _l("Read a project's progress: planned, under way, finished, or cancelled with a reason."),
            _l("Understand that the city must explain to residents what it did with the votes."),
        ),
        questions=(
            _q("after", _l("What happens after a project wins the vote?"),
               (("build", _l("The city plans it, builds it and tells residents how far it has got")),
                ("nothing", _l("Nothing: the vote was only a game")),
                ("instant", _l("It is finished the next morning"))),
               "build",
               _l("Building takes time: months, sometimes years. The city publishes news of each project.")),
            _q("cancelled", _l("Can a chosen project be cancelled?"),
               (("reason", _l("Yes, but the city must explain why")),
                ("secret", _l("Yes, and nobody is told")),
                ("never", _l("No, never"))),
               "reason",
               _l("Sometimes a project turns out impossible (the ground, the law, the cost). The city must say why "
                  "in public.")),
            _q("check", _l("How can residents check what the city did with their votes?"),
               (("page", _l("By reading the projects' progress page, with news and photos")),
                ("guess", _l("They cannot know")),
                ("pay", _l("By paying to ask"))),
               "page",
               _l("Anyone can read the progress of every chosen project, with its budget and its news.")),
        ),
    ),
    Lesson(
        slug="secret-ballot",
        icon="🤫",
        title=_l("Why is the vote secret?"),
        summary=_l("Voting freely, without anyone knowing what you chose."),
        minutes=30,
        optional=True,
        objectives=(
            _l("Understand that a secret vote lets everyone vote freely, without pressure."),
            _l("Know that the platform records who voted apart from what was chosen, so nobody can link the two."),
        ),
        questions=(
            _q("why", _l("Why is the vote secret?"),
               (("free", _l("So that everyone can choose freely, without pressure from others")),
                ("hide", _l("So that the results can be hidden")),
                ("fun", _l("Just for fun"))),
               "free",
               _l("If others could see your vote, some might be afraid or be pushed. Secrecy protects your "
                  "choice.")),
            _q("once", _l("How does the platform make sure that each person votes only once, while keeping the "
                          "vote secret?"),
               (("two", _l("It keeps two separate lists: who voted, and the votes, with no link between them")),
                ("names", _l("It writes your name on your ballot")),
                ("trust", _l("It does not check anything"))),
               "two",
               _l("One list says who has voted; the other holds the votes without any name. Nobody can put the "
                  "two together.")),
        ),
    ),
)

BY_SLUG = {lesson.slug: lesson for lesson in LESSONS}
COUNTING = "counting-votes"
CITY_PROJECTS = "city-projects"


def get(slug: str) -> Lesson | None:
    return BY_SLUG.get(slug)
