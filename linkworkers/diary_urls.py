from django.urls import path

from .views import diary

app_name = "diary"

urlpatterns = [
    path("", diary.diary, name="diary"),
    path("feed/new/", diary.diary_feed_rotate, name="feed_rotate"),
    path("feed/revoke/", diary.diary_feed_revoke, name="feed_revoke"),
]
