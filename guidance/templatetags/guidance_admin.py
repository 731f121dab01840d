from django import template
from django.urls import reverse
from django.utils import timezone

from ..models import MessageTemplate, PathPage, Topic

register = template.Library()


@register.simple_tag
def overdue_reviews():
    """Topics, path pages and message templates whose facts are due for checking again."""
    today = timezone.localdate()
    items = [
        {
            "obj": obj,
            "label": f"{model._meta.verbose_name}：{obj}",
            "url": reverse(f"admin:guidance_{model._meta.model_name}_change", args=[obj.pk]),
        }
        for model in (Topic, PathPage, MessageTemplate)
        for obj in model.objects.overdue(today).order_by("review_due")
    ]
    return sorted(items, key=lambda item: item["obj"].review_due)
