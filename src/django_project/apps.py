from django.apps import AppConfig
from django.conf import settings


class ChatbotApiConfig(AppConfig):
    name = "django_project"
    label = "chatbot_api"
    verbose_name = "Chatbot API"

    def ready(self) -> None:
        from django_project import api
        from django_project.container import Container

        container = Container()
        container.config.from_dict(settings.CHATBOT.model_dump())
        container.wire(packages=[api])
        self.container = container
