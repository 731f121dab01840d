from django.core import checks
from django.db import DatabaseError

from . import tree as engine
from .problems import describe


@checks.register("guidance")
def check_wizard_tree(app_configs=None, databases=None, **kwargs):
    """`manage.py check` fails when the wizard's tree would strand a reader."""
    from .wizard import load_tree

    try:
        loaded = load_tree()
    except DatabaseError:
        return []  # not migrated yet: `migrate` comes first
    if not loaded.tree.questions:
        return []
    return [
        checks.Error(describe(problem), id="guidance.E001", obj="wizard")
        for problem in engine.validate(loaded.tree)
    ]
