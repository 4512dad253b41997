from django.apps import AppConfig


class OrmConfig(AppConfig):
    name = "adapters.orm"
    label = "chatbot"
    verbose_name = "Chatbot"
    default_auto_field = "django.db.models.BigAutoField"
