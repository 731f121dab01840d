"""Any change to content bumps the content version, which every cache is keyed by."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from .models import (
    Choice,
    ContentVersion,
    MessageTemplate,
    Notice,
    PathPage,
    PathStep,
    Question,
    Section,
    Source,
    Topic,
)

CONTENT_MODELS = (
    Section,
    Topic,
    Source,
    PathPage,
    PathStep,
    Notice,
    Question,
    Choice,
    MessageTemplate,
)


@receiver(post_save)
@receiver(post_delete)
def content_changed(sender, **kwargs):
    if sender in CONTENT_MODELS:
        ContentVersion.bump()


@receiver(m2m_changed, sender=PathPage.related_topics.through)
def related_topics_changed(sender, **kwargs):
    ContentVersion.bump()
