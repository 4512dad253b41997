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
        chatbot = settings.CHATBOT
        container.config.from_dict(
            {**chatbot.model_dump(), "model_names": chatbot.model_names, "raw": chatbot}
        )
        container.wire(packages=[api])
        self.container = container
