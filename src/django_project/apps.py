from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.conf import settings

if TYPE_CHECKING:
    from django_project.container import Container


class ChatbotApiConfig(AppConfig):
    name = "django_project"
    label = "chatbot_api"
    verbose_name = "Chatbot API"

    def ready(self) -> None:
        from django_project import api, share
        from django_project.container import Container

        container = Container()
        self.load_settings(container)
        container.wire(packages=[api], modules=[share])
        self.container = container

    @staticmethod
    def load_settings(container: "Container") -> None:
        """The configuration is itself an override of the container's `config`: a test that
        resets the overrides loads it again with this."""
        chatbot = settings.CHATBOT
        container.config.from_dict(
            {**chatbot.model_dump(), "model_names": chatbot.model_names, "raw": chatbot}
        )
