"""What the sites app announces. Sent after commit, never on rollback; receivers only
react (forget caches, bump versions), they never decide whether a change happens.

site_changed(site)
    A site's row changed (policy, origins, name): sent by sites.services.site_update.
    `site` is the saved row.
"""

from django.dispatch import Signal

site_changed = Signal()
