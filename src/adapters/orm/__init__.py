"""Storage in Django's ORM: models, migrations, repositories, the unit of work, the quota ledger."""
