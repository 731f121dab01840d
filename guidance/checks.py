"""The wizard tree's system check, and its findings in plain words for editors and `check`."""

from django.core import checks
from django.db import DatabaseError
from django.utils.translation import gettext as _

from . import tree as engine
from .tree import MAX_ROUTE_LENGTH, Problem

PATH_NAMES = {
    "communicate": "理性沟通 (communicate)",
    "rights": "了解权利 (rights)",
    "professional": "专业帮助 (professional)",
}


def describe(problem: Problem) -> str:
    q, c, d = problem.question, problem.choice, problem.detail
    messages = {
        "empty": _("问答里还没有任何题目。"),
        "duplicate-question": _("题目标识“%(q)s”用了不止一次，每道题的标识必须不同。"),
        "duplicate-choice": _("题目“%(q)s”里，选项标识“%(c)s”用了不止一次。"),
        "missing-target": _("题目“%(q)s”%(where)s指向的下一题“%(d)s”不存在。"),
        "no-choices": _("题目“%(q)s”没有任何选项，读者会停在这里。"),
        "missing-start": _("找不到第一题“%(q)s”。"),
        "unreachable": _("题目“%(q)s”从第一题出发永远到不了。"),
        "cycle": _("这些题目绕成了一个圈，读者会一直答下去：%(d)s。"),
        "too-long": _("最长的一条路线有 %(d)s 道题，超过了上限 %(max)s 道。"),
        "never-primary": _("不论怎样回答，“%(path)s”都不会排在第一位。请调整选项的权重。"),
    }
    where = _("的选项“%(c)s”") % {"c": c} if c else _("的默认下一题")
    return messages.get(problem.code, str(problem)) % {
        "q": q,
        "c": c,
        "d": d,
        "where": where,
        "max": MAX_ROUTE_LENGTH,
        "path": PATH_NAMES.get(d, d),
    }


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
