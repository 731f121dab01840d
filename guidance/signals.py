"""Any change to content bumps the content version, which every cache is keyed by."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from .models import ContentVersion, PathPage
from .translation import TranslatedModel


@receiver(post_save)
@receiver(post_delete)
def content_changed(sender, **kwargs):
    # Content is what editors write: every model with texts in the three languages.
    if issubclass(sender, TranslatedModel):
        ContentVersion.bump()


@receiver(m2m_changed, sender=PathPage.related_topics.through)
def related_topics_changed(sender, **kwargs):
    ContentVersion.bump()
