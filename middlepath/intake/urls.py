from django.urls import path

from middlepath.intake import views

app_name = "intake"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.create, name="create"),
    path("<id:pk>/", views.detail, name="detail"),
    path("<id:pk>/edit/", views.edit, name="edit"),
    path("<id:pk>/contacts/", views.contact, name="contact"),
    path("<id:pk>/assign/", views.assign, name="assign"),
    path("<id:pk>/screening/", views.screening, name="screening"),
    path("<id:pk>/benefits/", views.benefits, name="benefits"),
    path("<id:pk>/schedule/", views.schedule, name="schedule"),
    path("<id:pk>/admit/", views.admit, name="admit"),
    path("<id:pk>/first-week/", views.first_week, name="first_week"),
    path("<id:pk>/close/", views.close, name="close"),
    path("<id:pk>/reopen/", views.reopen, name="reopen"),
]
