"""ecsenv: bootstrap a Terraform state backend and run the ECS environment lifecycle."""

__version__ = "0.1.0"
