"""What the compiler (gen) and the relay both need, written once: the user-error types, the
duration parser, the settings-file reader and Alertmanager's matcher syntax. Standard library
and PyYAML only, so either product can be installed without the other's dependencies."""

__version__ = "0.1.0"
