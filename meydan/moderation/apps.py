from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class ModerationConfig(AppConfig):
    name = "meydan.moderation"
    label = "moderation"

    def ready(self) -> None:
        from meydan.comments import erasure, events
        from meydan.moderation import system_checks  # noqa: F401 - registers them
        from meydan.moderation.bans import ban_deleted, ban_saved
        from meydan.moderation.erasure import scrub_comment
        from meydan.moderation.models import Ban, SpamModel
        from meydan.moderation.spam import model_changed

        # Audit snapshots, reports and spam memory go with an erased comment.
        erasure.register("moderation", scrub_comment)
        # What authors erase themselves is logged: that it happened, by whom, when.
        from meydan.moderation.services import author_erase_recorded

        events.comment_erased.connect(author_erase_recorded, dispatch_uid="meydan-author-erase")

        # Keep the per-site "has bans" flag right (see moderation.bans).
        post_save.connect(ban_saved, sender=Ban, dispatch_uid="meydan-ban-saved")
        post_delete.connect(ban_deleted, sender=Ban, dispatch_uid="meydan-ban-deleted")
        # Forget the shared cache's copy of a site's spam filter totals (moderation.spam).
        post_save.connect(model_changed, sender=SpamModel, dispatch_uid="meydan-spam-saved")
        post_delete.connect(model_changed, sender=SpamModel, dispatch_uid="meydan-spam-deleted")
