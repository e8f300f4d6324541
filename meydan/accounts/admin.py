"""Readers' accounts in the admin: deleting one erases what identifies them in their
comments, as when they delete their own account (accounts.services.account_delete)."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from meydan.accounts import services

User = get_user_model()


class MeydanUserAdmin(UserAdmin):
    def delete_model(self, request, obj):
        services.account_delete(obj, keep_comments=True, channel="admin", actor=request.user)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            services.account_delete(user, keep_comments=True, channel="admin", actor=request.user)


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, MeydanUserAdmin)
