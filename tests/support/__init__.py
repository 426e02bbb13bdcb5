"""What the tests share: fake exporters and chat services, real servers started and stopped, paths."""
