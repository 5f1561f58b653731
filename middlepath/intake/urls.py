from django.urls import path

from middlepath.intake import views

app_name = "intake"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/contacts/", views.contact, name="contact"),
    path("<int:pk>/assign/", views.assign, name="assign"),
    path("<int:pk>/screening/", views.screening, name="screening"),
    path("<int:pk>/benefits/", views.benefits, name="benefits"),
    path("<int:pk>/schedule/", views.schedule, name="schedule"),
    path("<int:pk>/admit/", views.admit, name="admit"),
    path("<int:pk>/first-week/", views.first_week, name="first_week"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/reopen/", views.reopen, name="reopen"),
]
