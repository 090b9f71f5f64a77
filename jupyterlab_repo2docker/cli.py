"""``repo2docker-service``: run the bundled service with the arguments given."""
import os
import sys

from .node import service_argv


def main() -> None:
    argv = service_argv(*sys.argv[1:])
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main()
